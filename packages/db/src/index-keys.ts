/**
 * LevelDB key layout (utf8 string keys, one store). Entries that point at a message end in or
 * hold its log offset; keys are built so that LevelDB's byte order is the query order. Feed and
 * message ids appear as their 44 base64 characters (`@`/`%` and the suffix dropped: validated
 * authors are always `.ed25519`, message ids `.sha256`). Offsets and sequences in keys are
 * fixed-width base 36.
 *
 *   k{msg}                               → offset (base 36)   get by id
 *   s{author}{seq}                       → offset (base 36)   history / user streams
 *   f{rts}{offset}                       → '1'                createFeedStream (rts order)
 *   t{type}\0{offset}                    → ''                 messagesByType (log order)
 *   b{dest}\0{rel}\0{author}{offset}     → ''                 links, by dest (ssb-db `_link`)
 *   c{author id}\0{contact id}           → weight             contact graph (latest wins)
 *   F{author id}                         → {id,sequence,timestamp} JSON   latest per feed
 *   T{offset}                            → receive timestamp  sparse seek index
 *   q{index}{charwise tuple}\0{offset}   → '1'                ssb-query sorted indexes (query-index.ts)
 *   E{target id}                         → [offsets] JSON     erase in progress
 *   \0meta                               → checkpoint JSON
 *
 * There is no by-source link index: links({source}) reads the source's feed instead.
 * Free-form parts (type, rel, dest) are escaped so that `\0` stays a separator and order holds.
 */

export const META_KEY = '\x00meta'

/**
 * The value of entries whose key says it all. Never '': classic-level 3 leaks the native copy of
 * an empty value (ToSlice allocates a byte, DisposeSliceBuffer skips empty slices), some 32
 * bytes per put, which came to 160 MiB over a 1M-message rebuild.
 */
export const PRESENT = '1'

const OFFSET_WIDTH = 11 // base-36 digits: 36^11 > 2^53
const ID_WIDTH = 44 // base64 of 32 bytes

/** Smallest string above every key that starts with `prefix`. */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)
}

const ZEROS = Array.from({ length: OFFSET_WIDTH + 1 }, (_, i) => '0'.repeat(i))

export function encOffset(n: number): string {
  const s = n.toString(36)
  return ZEROS[OFFSET_WIDTH - s.length] + s
}

export function decOffset(s: string): number {
  return parseInt(s, 36)
}

export function offsetFromKeyEnd(key: string): number {
  return parseInt(key.slice(key.length - OFFSET_WIDTH), 36)
}

export const encValueOffset = (n: number): string => n.toString(36)
export const decValueOffset = (s: string): number => parseInt(s, 36)

const short = (id: string): string => id.slice(1, 1 + ID_WIDTH)
const feedOf = (b64: string): string => '@' + b64 + '.ed25519'

const f64 = new DataView(new ArrayBuffer(8))

/** Order-preserving text form of a finite double (sign-flip trick on the IEEE-754 bits). */
export function encFloat(x: number): string {
  f64.setFloat64(0, x === 0 ? 0 : x)
  let hi = f64.getUint32(0)
  let lo = f64.getUint32(4)
  if (hi & 0x80000000) {
    hi = ~hi >>> 0
    lo = ~lo >>> 0
  } else {
    hi = (hi | 0x80000000) >>> 0
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0')
}

/** `\0` → `\x01\x01`, `\x01` → `\x01\x02`: keeps `\0` free for separators and keeps order. */
export function esc(s: string): string {
  if (s.indexOf('\x00') === -1 && s.indexOf('\x01') === -1) return s
  return s.replace(/[\x00\x01]/g, (c) => (c === '\x00' ? '\x01\x01' : '\x01\x02'))
}

export function unesc(s: string): string {
  if (s.indexOf('\x01') === -1) return s
  return s.replace(/\x01([\x01\x02])/g, (_, c: string) => (c === '\x01' ? '\x00' : '\x01'))
}

export const keyOfMsg = (id: string): string => 'k' + short(id)
export const seqPrefix = (author: string): string => 's' + short(author)
export const keyOfSeq = (author: string, seq: number): string => seqPrefix(author) + encOffset(seq)
export const keyOfFeedTime = (rts: number, offset: number): string => 'f' + encFloat(rts) + encOffset(offset)
export const typePrefix = (type: string): string => 't' + esc(type) + '\x00'
export const keyOfType = (type: string, offset: number): string => typePrefix(type) + encOffset(offset)
export const backlinkPrefix = (dest: string): string => 'b' + esc(dest) + '\x00'
export const backlinkRelPrefix = (dest: string, rel: string): string => backlinkPrefix(dest) + esc(rel) + '\x00'
export const backlinkSourcePrefix = (dest: string, rel: string, author: string): string =>
  backlinkRelPrefix(dest, rel) + short(author)
export const keyOfBacklink = (dest: string, rel: string, author: string, offset: number): string =>
  backlinkSourcePrefix(dest, rel, author) + encOffset(offset)
export const contactPrefix = (author: string): string => 'c' + author + '\x00'
export const keyOfContact = (author: string, contact: string): string => contactPrefix(author) + contact
export const keyOfLatest = (author: string): string => 'F' + author
export const keyOfSeek = (offset: number): string => 'T' + encOffset(offset)
export const keyOfErase = (target: string): string => 'E' + target

/** Splits a `b` key into dest, rel, source (unescaped, full ids) and offset. */
export function parseBacklinkKey(key: string): [string, string, string, number] {
  const tail = key.length - OFFSET_WIDTH
  const source = feedOf(key.slice(tail - ID_WIDTH, tail))
  const body = key.slice(1, tail - ID_WIDTH - 1)
  const sep = body.indexOf('\x00')
  return [unesc(body.slice(0, sep)), unesc(body.slice(sep + 1)), source, parseInt(key.slice(tail), 36)]
}

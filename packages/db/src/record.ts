import type { KVT, MsgValue } from '@ssb/feed'
import { DbError } from './errors.js'
import type { DbOptions, Logger } from './types.js'

type Obj = Record<string, unknown>
export type Unbox = NonNullable<DbOptions['unbox']>

/** A stored message as the indexer and the queries see it. */
export interface IndexedMsg {
  offset: number
  kvt: KVT
  /** Content to index: the content object, the decrypted content, or null (not for us). */
  content: Obj | null
  /** The record bytes when at hand (fresh copies for live streams). */
  bytes?: Uint8Array
  /** One frozen copy for every `onMessage` listener (decoded once, see sharedKvt). */
  shared?: KVT
}

/** A Buffer view of the same memory (no copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** How encodeRecord's JSON starts: the key first, a 52-character message id. */
const KEY_PREFIX = '{"key":"'
const KEY_PREFIX_BYTES = Buffer.from(KEY_PREFIX)
const MSG_ID_LENGTH = 52

/**
 * The key under which a RawJson carries its bytes: a registered symbol, so that a transport
 * (`@ssb/rpc` sends such a value's bytes as its JSON body) can recognise it without importing
 * this package.
 */
export const RAW_JSON: unique symbol = Symbol.for('ssb.rawJson') as never

/** A stream item as the exact JSON text it stands for (`JSON.parse(json)` gives the item). */
export class RawJson {
  constructor(readonly json: Uint8Array) {}
  get [RAW_JSON](): Uint8Array {
    return this.json
  }
  toJSON(): unknown {
    return JSON.parse(asBuffer(this.json).toString('utf8'))
  }
}

const TIMESTAMP_KEY = Buffer.from(',"timestamp":')

/** Whether `b` holds the bytes of `s` at `p`. */
function bytesAt(b: Buffer, p: number, s: Buffer): boolean {
  if (p < 0 || p + s.length > b.length) return false
  for (let i = 0; i < s.length; i++) if (b[p + i] !== s[i]) return false
  return true
}

/** A byte of a JSON number: 0-9 . e E + - */
const isNumberByte = (c: number | undefined): boolean =>
  c !== undefined && ((c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d)

/**
 * Where the last `,"timestamp":` of a record starts (encodeRecord writes the receive time last),
 * or -1. A record ending in `,"timestamp":<number>}` is read back over the number, no search.
 */
function receiveTimeAt(b: Buffer): number {
  let p = b.length - 2
  if (b[p + 1] === 0x7d) {
    while (isNumberByte(b[p])) p--
    const keyAt = p + 1 - TIMESTAMP_KEY.length
    if (bytesAt(b, keyAt, TIMESTAMP_KEY)) return keyAt
  }
  return b.lastIndexOf(TIMESTAMP_KEY)
}

/** The receive time of a record, read from its end (encodeRecord writes it last), or null. */
export function receiveTimeOf(bytes: Uint8Array): number | null {
  const b = asBuffer(bytes)
  const last = b.length - 1
  if (last < 0 || b[last] !== 0x7d) return null
  const at = receiveTimeAt(b)
  if (at < 0) return null
  const ts = Number(b.toString('latin1', at + TIMESTAMP_KEY.length, last))
  return Number.isFinite(ts) ? ts : null
}

/** Where `","value":` starts in a record: after the key. */
const VALUE_AT = KEY_PREFIX.length + MSG_ID_LENGTH
const VALUE_KEY = Buffer.from('","value":')

const VALUE_START = Buffer.from('","value":{"previous":')
const NULL = Buffer.from('null')
const AUTHOR_KEY = Buffer.from(',"author":"')
const SEQUENCE_KEY = Buffer.from(',"sequence":')
const CONTENT_OBJECT = Buffer.from(',"hash":"sha256","content":{')
/** `@` + 44 base64 characters + `.ed25519` */
const FEED_ID_LENGTH = 53

/**
 * The claimed timestamp of a record laid out as classic messages are stored (value keys
 * previous, author and sequence in either order, timestamp, hash, content, ids of their fixed
 * lengths) whose content is an object, read at those positions without parsing; undefined for
 * any other record (the caller reads it the general way).
 */
export function plainClaimedTime(bytes: Uint8Array): number | undefined {
  const b = asBuffer(bytes)
  if (!bytesAt(b, 0, KEY_PREFIX_BYTES) || !bytesAt(b, VALUE_AT, VALUE_START)) return undefined
  let p = VALUE_AT + VALUE_START.length
  if (bytesAt(b, p, NULL)) p += NULL.length
  else if (b[p] === 0x22 && b[p + MSG_ID_LENGTH + 1] === 0x22) p += MSG_ID_LENGTH + 2
  else return undefined
  // author and sequence come in either order (ssb-validate writes sequence first, older clients author)
  for (let i = 0; i < 2; i++) {
    if (bytesAt(b, p, AUTHOR_KEY) && b[p + AUTHOR_KEY.length + FEED_ID_LENGTH] === 0x22) p += AUTHOR_KEY.length + FEED_ID_LENGTH + 1
    else if (bytesAt(b, p, SEQUENCE_KEY)) {
      p += SEQUENCE_KEY.length
      while (isNumberByte(b[p])) p++
    } else return undefined
  }
  if (!bytesAt(b, p, TIMESTAMP_KEY)) return undefined
  const start = p + TIMESTAMP_KEY.length
  p = start
  while (isNumberByte(b[p])) p++
  if (p === start || !bytesAt(b, p, CONTENT_OBJECT)) return undefined
  const ts = Number(b.toString('latin1', start, p))
  return Number.isNaN(ts) ? undefined : ts
}

/**
 * A stream item as its stored JSON (a copy: read buffers are reused) — the whole message, or
 * with `values` only its value — or null when the record does not have the expected shape.
 * Keys-only items are not raw. Decryption must not be wanted.
 */
export function rawItem(bytes: Uint8Array, f: FormatOpts): RawJson | null {
  if (!f.values) return null
  if (f.keys) return new RawJson(Uint8Array.prototype.slice.call(bytes) as Uint8Array)
  const b = asBuffer(bytes)
  const at = receiveTimeAt(b)
  const start = VALUE_AT + VALUE_KEY.length
  if (at < start || !bytesAt(b, VALUE_AT, VALUE_KEY) || !bytesAt(b, 0, KEY_PREFIX_BYTES)) return null
  return new RawJson(Uint8Array.prototype.slice.call(bytes, start, at) as Uint8Array)
}

/**
 * The record as the JSON of `{...kvt, rts}` (what readIndex items stringify to) without parsing
 * it, given the claimed time. Null if the record does not end with its receive time.
 */
export function rawWithRts(bytes: Uint8Array, claimed: unknown): RawJson | null {
  const ts = receiveTimeOf(bytes)
  if (ts === null) return null
  const rts = rtsFrom(claimed, ts)
  const tail = ',"rts":' + JSON.stringify(rts) + '}'
  const out = Buffer.allocUnsafe(bytes.byteLength - 1 + tail.length)
  out.set(bytes.subarray(0, bytes.byteLength - 1))
  out.write(tail, bytes.byteLength - 1, 'latin1')
  return new RawJson(out)
}

export function encodeRecord(kvt: KVT): Uint8Array {
  return Buffer.from(JSON.stringify(kvt), 'utf8')
}

export function decodeRecord(bytes: Uint8Array): KVT {
  let kvt: unknown
  try {
    kvt = JSON.parse(asBuffer(bytes).toString('utf8'))
  } catch (err) {
    throw new DbError('DB_CORRUPT_RECORD', 'log record is not JSON', { cause: err })
  }
  const k = kvt as Partial<KVT> | null
  if (
    typeof k !== 'object' || k === null || typeof k.key !== 'string' || typeof k.timestamp !== 'number' ||
    typeof k.value !== 'object' || k.value === null || typeof k.value.author !== 'string' ||
    typeof k.value.sequence !== 'number'
  ) {
    throw new DbError('DB_CORRUPT_RECORD', 'log record is not a {key, value, timestamp} message')
  }
  return k as KVT
}

/** The message id of a record without parsing it (encodeRecord writes `key` first). */
export function decodeKey(bytes: Uint8Array): string {
  const b = asBuffer(bytes)
  const end = KEY_PREFIX.length + MSG_ID_LENGTH
  if (b.length > end && bytesAt(b, 0, KEY_PREFIX_BYTES) && b[end] === 0x22) {
    return b.toString('latin1', KEY_PREFIX.length, end)
  }
  return decodeRecord(bytes).key
}

export function isBoxed(value: MsgValue): value is MsgValue & { content: string } {
  return typeof value.content === 'string'
}

/** Decrypts with the hook, swallowing its failures (a message we cannot read is not an error). */
export function tryUnbox(unbox: Unbox | undefined, value: MsgValue, logger: Logger | undefined, readKey?: string): Obj | null {
  if (!unbox || typeof value.content !== 'string') return null
  try {
    const plain = unbox(value, readKey)
    return typeof plain === 'object' && plain !== null ? plain : null
  } catch (err) {
    logger?.warn('unbox failed', { author: value.author, sequence: value.sequence, err: String(err) })
    return null
  }
}

export function indexedContent(value: MsgValue, unbox: Unbox | undefined, logger: Logger | undefined): Obj | null {
  if (typeof value.content === 'object' && value.content !== null) return value.content
  return tryUnbox(unbox, value, logger)
}

/** ssb-db `autobox.js` decorate(): plaintext in content, the box kept in meta.original. */
export function decorateUnboxed(value: MsgValue, plain: Obj, readKey?: string): MsgValue {
  const out: Obj = { ...value }
  const meta: Obj = { original: { content: value.content }, private: true }
  if (readKey !== undefined) meta.unbox = readKey
  out.meta = meta
  out.content = plain
  out.cyphertext = value.content
  out.private = true
  if (readKey !== undefined) out.unbox = readKey
  return out as unknown as MsgValue
}

export function rtsOf(kvt: KVT): number {
  return rtsFrom(kvt.value.timestamp, kvt.timestamp)
}

/**
 * ssb-db indexes/feed.js resolveTimestamp: the claimed time unless missing or in the future of
 * the receive time. A non-number claimed time (allowed after the first message) counts as missing.
 */
export function rtsFrom(claimed: unknown, received: number): number {
  return typeof claimed === 'number' && Number.isFinite(claimed) && claimed !== 0 && claimed <= received ? claimed : received
}

export interface FormatOpts {
  keys: boolean
  values: boolean
  private: boolean
}

export function formatOpts(o: { keys?: boolean; values?: boolean; private?: boolean }): FormatOpts {
  return { keys: o.keys !== false, values: o.values !== false, private: o.private === true }
}

/** ssb-db util.Format: KVT, id string (keys only) or value (otherwise). */
export function formatKvt(kvt: KVT, f: FormatOpts): KVT | string | MsgValue {
  if (f.keys && f.values) return kvt
  if (f.keys) return kvt.key
  return kvt.value
}

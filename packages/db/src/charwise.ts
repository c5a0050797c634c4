import { DbError } from './errors.js'

/**
 * The charwise 3 key encoding that flumeview-level (and so ssb-query and ssb-links) stores index
 * keys in. Reproducing it byte for byte is what makes our index order — including the odd
 * cases: mixed value types, strings with spaces or `!`/`"` — the order ssb-server 16 answers in.
 * Non-array objects have no encoding (charwise throws; the reference's index then fails), so
 * encode() returns null for them and callers leave such a message out of that index.
 */

function flip(s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c >= '0' && c <= '9') out += String(9 - Number(c))
    else if (c !== '-') out += c
  }
  return out
}

const ZEROS = '00000000000000000000'

export function encodeNumber(n: number): string {
  if (n >= 1 && n < 1e21) {
    // Fast path (timestamps, sequence numbers), the same string as below: String(n) and
    // toExponential() both give the shortest digits that round-trip, and for 1 <= n < 1e21
    // String(n) writes them without an exponent.
    const s = String(n)
    const dot = s.indexOf('.')
    const digits = dot === -1 ? s : s.slice(0, dot) + s.slice(dot + 1)
    let end = digits.length
    while (end > 1 && digits.charCodeAt(end - 1) === 48) end--
    return 'FE' + ((dot === -1 ? s.length : dot) + 499) + 'M' + digits[0] + '.' + digits.slice(1, end) + ZEROS
  }
  return encodeNumberSlow(n)
}

function encodeNumberSlow(n: number): string {
  if (Number.isNaN(n)) return 'DaN'
  if (n === 0) return 'FE  0M0'
  if (n === Infinity) return 'FF'
  if (n === -Infinity) return 'DD'
  const [m, e] = n.toExponential().split('e') as [string, string]
  const exponent = String(Number(e) + 500)
  const mantissa = m + (m.indexOf('.') === -1 ? '.' : '') + ZEROS
  const encoded = 'E' + ' '.repeat(Math.max(0, 3 - exponent.length)) + exponent + 'M' + mantissa
  return n > 0 ? 'F' + encoded : 'D' + flip(encoded)
}

function encodeString(s: string): string {
  if (s.indexOf('\x00') === -1 && s.indexOf('\x01') === -1) return 'J' + s
  return 'J' + s.replace(/\x01/g, '\x01\x01').replace(/\x00/g, '\x01')
}

function escapeItem(s: string): string {
  if (s.indexOf('!') === -1 && s.indexOf('"') === -1) return s
  return s.replace(/[?!"]/g, (c) => (c === '?' ? '?@' : c === '!' ? '??' : '?%'))
}

const MAX_DEPTH = 32

function encodeArray(a: readonly unknown[], depth: number): string | null {
  if (depth > MAX_DEPTH) return null
  if (a.length === 0) return 'K!'
  let s = 'K'
  for (let i = 0; i < a.length; i++) {
    const item = a[i]
    let e: string | null
    if (item === null) e = 'A'
    else if (Array.isArray(item)) e = encodeArray(item, depth + 1)
    else if (typeof item === 'object') return null
    else {
      e = encodeScalar(item)
      if (e !== null) e = escapeItem(e)
    }
    if (e === null) return null
    s += (i === 0 ? '' : '"') + e
  }
  return s + '!'
}

function encodeScalar(v: unknown): string | null {
  switch (typeof v) {
    case 'number':
      return encodeNumber(v)
    case 'string':
      return encodeString(v)
    case 'boolean':
      return v ? 'C' : 'B'
    case 'undefined':
      return 'L'
    default:
      return null
  }
}

/** charwise.encode(v), or null when charwise cannot encode it (non-array objects). */
export function charwise(v: unknown): string | null {
  if (v === null) return 'A'
  if (Array.isArray(v)) return encodeArray(v, 0)
  return encodeScalar(v)
}

/** As charwise(), throwing a typed error instead of returning null (query bounds). */
export function charwiseOrThrow(v: unknown): string {
  const e = charwise(v)
  if (e === null) throw new DbError('DB_INVALID_ARGUMENT', 'index bounds must be JSON scalars or arrays, not objects')
  return e
}

/** Code point order = LevelDB's UTF-8 byte order (UTF-16 unit order is not, above U+D7FF). */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    const sx = x >= 0xd800 && x <= 0xdfff
    const sy = y >= 0xd800 && y <= 0xdfff
    if (sx === sy) return x - y
    return sx ? 1 : -1 // a surrogate pair encodes a code point above every BMP unit
  }
  return a.length - b.length
}

import { KeysError } from './errors.js'

/** Throws a KeysError unless `value` is a Uint8Array of exactly `length` bytes. */
export function assertBytes(value: unknown, length: number, title: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new KeysError('KEYS_INVALID_BYTES', `${title}: expected Uint8Array(${length}), got ${describe(value)}`)
  }
  if (value.length !== length) {
    throw new KeysError('KEYS_INVALID_BYTES', `${title}: expected Uint8Array(${length}), got Uint8Array(${value.length})`)
  }
}

export function assertAnyBytes(value: unknown, title: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new KeysError('KEYS_INVALID_BYTES', `${title}: expected Uint8Array, got ${describe(value)}`)
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object'
  return typeof value
}

/** A Buffer view over the same memory (no copy), for native APIs typed with Buffer. */
export function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength)
}

export function toBase64(u8: Uint8Array): string {
  assertAnyBytes(u8, 'toBase64')
  return asBuffer(u8).toString('base64')
}

const BASE64_RX = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * Decodes standard, padded, canonical base64 (the only form SSB accepts: the unused low bits
 * of the last symbol must be zero). Node's own decoder is lenient, so the text is checked first.
 */
export function fromBase64(s: string): Uint8Array {
  if (typeof s !== 'string') throw new KeysError('KEYS_INVALID_BASE64', `expected a base64 string, got ${typeof s}`)
  if (!BASE64_RX.test(s)) throw new KeysError('KEYS_INVALID_BASE64', 'not padded standard base64')
  const buf = Buffer.from(s, 'base64')
  if (buf.toString('base64') !== s) throw new KeysError('KEYS_INVALID_BASE64', 'base64 is not canonical')
  return new Uint8Array(buf) // copy: small Buffers are views into Node's shared pool
}

/** True if `s` is canonical padded base64 encoding exactly `length` bytes. */
export function isCanonicalBase64(s: string, length: number): boolean {
  if (s.length !== Math.ceil(length / 3) * 4 || !BASE64_RX.test(s)) return false
  const buf = Buffer.from(s, 'base64')
  return buf.length === length && buf.toString('base64') === s
}

import { BoxStreamError } from './errors.js'

/** A Buffer view over the same memory, for sodium-native calls (no copy). */
export function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength)
}

/** A plain Uint8Array view over the same memory (no copy). */
export function asUint8Array(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
}

export function checkBytes(value: unknown, length: number, title: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new BoxStreamError('BOX_INVALID_ARGUMENT', `${title}: expected Uint8Array, got ${typeof value}`)
  }
  if (value.length !== length) {
    throw new BoxStreamError('BOX_INVALID_ARGUMENT', `${title}: expected ${length} bytes, got ${value.length}`)
  }
}

/**
 * Adds one to a nonce read as a 24-byte big-endian unsigned integer, in place, carrying
 * toward byte 0 and wrapping at 2^192 (protocol.md §5; libsodium's sodium_increment is
 * little-endian, so it cannot be used here).
 */
export function incrementNonce(nonce: Uint8Array): void {
  for (let i = nonce.length - 1; i >= 0; i--) {
    const next = (nonce[i]! + 1) & 0xff
    nonce[i] = next
    if (next !== 0) return
  }
}

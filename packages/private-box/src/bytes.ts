import sodium from 'sodium-native'
import { PrivateBoxError } from './errors.js'

/** A Buffer view over the same memory (no copy), for sodium-native. */
export function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength)
}

export function assertBytes(value: unknown, length: number | null, title: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new PrivateBoxError('PRIVATE_BOX_INVALID_ARGUMENT', `${title}: expected Uint8Array, got ${describe(value)}`)
  }
  if (length !== null && value.length !== length) {
    throw new PrivateBoxError(
      'PRIVATE_BOX_INVALID_ARGUMENT',
      `${title}: expected Uint8Array(${length}), got Uint8Array(${value.length})`,
    )
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object'
  return typeof value
}

/** Overwrites secret material we no longer need (sodium_memzero cannot be optimised away). */
export function wipe(...bufs: Uint8Array[]): void {
  for (const b of bufs) sodium.sodium_memzero(asBuffer(b))
}

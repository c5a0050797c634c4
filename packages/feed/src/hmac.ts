import sodium from 'sodium-native'
import { HMAC_KEY_BYTES } from './constants.js'
import { ValidationError } from './errors.js'

const HMAC_KEY_B64_RX = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/

/**
 * The sign-cap as 32 bytes, or null for none. Mirrors ssb-validate isInvalidHmacKey: null and
 * undefined mean none; a string must be canonical base64 of 32 bytes; bytes must be 32 long.
 */
export function normalizeHmacKey(key: unknown): Buffer | null {
  if (key === undefined || key === null) return null
  if (typeof key === 'string') {
    if (HMAC_KEY_B64_RX.test(key)) return Buffer.from(key, 'base64')
    throw new ValidationError('INVALID_HMAC_KEY', true, 'HMAC key must be canonical base64 of 32 bytes')
  }
  if (key instanceof Uint8Array) {
    if (key.length === HMAC_KEY_BYTES) return Buffer.from(key)
    throw new ValidationError('INVALID_HMAC_KEY', true, `HMAC key must be 32 bytes, got ${key.length}`)
  }
  throw new ValidationError('INVALID_HMAC_KEY', true, `HMAC key must be a string or Uint8Array, got ${typeof key}`)
}

/** libsodium crypto_auth (HMAC-SHA-512-256): what is signed when a sign-cap is set. */
export function hmac(key: Buffer, data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(sodium.crypto_auth_BYTES)
  sodium.crypto_auth(out, data, key)
  return out
}

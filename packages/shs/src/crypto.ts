import sodium from 'sodium-native'
import { CURVE_KEY_BYTES } from './constants.js'
import { ShsError, type ShsErrorCode } from './errors.js'

// Thin sodium-native wrappers working on Buffers, so that every secret intermediate can be
// wiped with sodium_memzero once the handshake no longer needs it.

const ZERO_NONCE = Buffer.alloc(24)

export function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength)
}

/** A fresh plain Uint8Array copy (results handed to callers never alias our buffers). */
export function copyOut(buf: Uint8Array): Uint8Array {
  return new Uint8Array(buf)
}

export function checkBytes(value: unknown, length: number, title: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new ShsError('SHS_INVALID_ARGUMENT', `${title}: expected Uint8Array, got ${typeof value}`)
  }
  if (value.length !== length) {
    throw new ShsError('SHS_INVALID_ARGUMENT', `${title}: expected ${length} bytes, got ${value.length}`)
  }
}

export function wipe(...buffers: (Buffer | undefined)[]): void {
  for (const b of buffers) if (b) sodium.sodium_memzero(b)
}

/** HMAC-SHA-512-256 (crypto_auth), as secret-handshake uses for the challenges. */
export function hmac(key: Buffer, data: Buffer): Buffer {
  const out = Buffer.alloc(sodium.crypto_auth_BYTES)
  sodium.crypto_auth(out, data, key)
  return out
}

export function verifyHmac(mac: Buffer, data: Buffer, key: Buffer): boolean {
  return sodium.crypto_auth_verify(mac, data, key)
}

/** sha256 of the concatenation; the temporary concatenation is wiped. */
export function sha256(...parts: Buffer[]): Buffer {
  const input = Buffer.concat(parts)
  const out = Buffer.alloc(sodium.crypto_hash_sha256_BYTES)
  sodium.crypto_hash_sha256(out, input)
  wipe(input)
  return out
}

/** X25519; libsodium refuses low-order points (all-zero output), reported as `code`. */
export function scalarmult(secret: Buffer, publicKey: Buffer, code: ShsErrorCode, what: string): Buffer {
  const out = Buffer.alloc(CURVE_KEY_BYTES)
  try {
    sodium.crypto_scalarmult(out, secret, publicKey)
  } catch (cause) {
    throw new ShsError(code, `${what}: key agreement failed (low-order or invalid point)`, { cause })
  }
  return out
}

export function ed25519PublicToCurve(pk: Buffer, code: ShsErrorCode, what: string): Buffer {
  const out = Buffer.alloc(CURVE_KEY_BYTES)
  try {
    sodium.crypto_sign_ed25519_pk_to_curve25519(out, pk)
  } catch (cause) {
    throw new ShsError(code, `${what}: not a valid Ed25519 public key`, { cause })
  }
  return out
}

export function ed25519SecretToCurve(sk: Buffer): Buffer {
  const out = Buffer.alloc(CURVE_KEY_BYTES)
  sodium.crypto_sign_ed25519_sk_to_curve25519(out, sk)
  return out
}

export function sign(secretKey: Buffer, message: Buffer): Buffer {
  const sig = Buffer.alloc(sodium.crypto_sign_BYTES)
  sodium.crypto_sign_detached(sig, message, secretKey)
  return sig
}

export function verify(signature: Buffer, message: Buffer, publicKey: Buffer): boolean {
  return sodium.crypto_sign_verify_detached(signature, message, publicKey)
}

/** secretbox with the all-zero nonce: each handshake key boxes exactly one message. */
export function boxZeroNonce(plaintext: Buffer, key: Buffer): Buffer {
  const out = Buffer.alloc(plaintext.length + sodium.crypto_secretbox_MACBYTES)
  sodium.crypto_secretbox_easy(out, plaintext, ZERO_NONCE, key)
  return out
}

export function openZeroNonce(boxed: Buffer, key: Buffer): Buffer | null {
  if (boxed.length < sodium.crypto_secretbox_MACBYTES) return null
  const out = Buffer.alloc(boxed.length - sodium.crypto_secretbox_MACBYTES)
  return sodium.crypto_secretbox_open_easy(out, boxed, ZERO_NONCE, key) ? out : null
}

export interface CurveKeyPair {
  publicKey: Buffer
  secretKey: Buffer
}

/** A fresh X25519 pair, or a private copy of the given one (tests pass fixed ephemerals). */
export function ephemeralKeyPair(given?: { publicKey: Uint8Array; secretKey: Uint8Array }): CurveKeyPair {
  if (given) {
    checkBytes(given.publicKey, CURVE_KEY_BYTES, 'ephemeral.publicKey')
    checkBytes(given.secretKey, CURVE_KEY_BYTES, 'ephemeral.secretKey')
    return { publicKey: Buffer.from(given.publicKey), secretKey: Buffer.from(given.secretKey) }
  }
  const publicKey = Buffer.alloc(CURVE_KEY_BYTES)
  const secretKey = Buffer.alloc(CURVE_KEY_BYTES)
  sodium.crypto_box_keypair(publicKey, secretKey)
  return { publicKey, secretKey }
}

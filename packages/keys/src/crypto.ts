import sodium from 'sodium-native'
import { asBuffer, assertAnyBytes, assertBytes } from './bytes.js'
import { CURVE25519_BYTES, PUBLIC_KEY_BYTES, SECRET_KEY_BYTES, SHA256_BYTES, SIGNATURE_BYTES } from './constants.js'
import { KeysError } from './errors.js'

/** Ed25519 detached signature of `data` with a 64-byte libsodium secret key. */
export function sign(secretKey: Uint8Array, data: Uint8Array): Uint8Array {
  assertBytes(secretKey, SECRET_KEY_BYTES, 'sign(secretKey)')
  assertAnyBytes(data, 'sign(data)')
  const sig = new Uint8Array(SIGNATURE_BYTES)
  sodium.crypto_sign_detached(asBuffer(sig), asBuffer(data), asBuffer(secretKey))
  return sig
}

/** True if `signature` is a valid Ed25519 signature of `data` by `publicKey`. */
export function verify(publicKey: Uint8Array, signature: Uint8Array, data: Uint8Array): boolean {
  assertBytes(publicKey, PUBLIC_KEY_BYTES, 'verify(publicKey)')
  assertBytes(signature, SIGNATURE_BYTES, 'verify(signature)')
  assertAnyBytes(data, 'verify(data)')
  return sodium.crypto_sign_verify_detached(asBuffer(signature), asBuffer(data), asBuffer(publicKey))
}

export function sha256(data: Uint8Array): Uint8Array {
  assertAnyBytes(data, 'sha256(data)')
  const out = new Uint8Array(SHA256_BYTES)
  sodium.crypto_hash_sha256(asBuffer(out), asBuffer(data))
  return out
}

/** libsodium crypto_sign_ed25519_pk_to_curve25519; throws KeysError for keys that are not valid points. */
export function ed25519PublicKeyToCurve25519(pk: Uint8Array): Uint8Array {
  assertBytes(pk, PUBLIC_KEY_BYTES, 'ed25519PublicKeyToCurve25519(pk)')
  const out = new Uint8Array(CURVE25519_BYTES)
  try {
    sodium.crypto_sign_ed25519_pk_to_curve25519(asBuffer(out), asBuffer(pk))
  } catch (err) {
    throw new KeysError('KEYS_INVALID_PUBLIC_KEY', 'public key is not a valid Ed25519 point', { cause: err })
  }
  return out
}

/** libsodium crypto_sign_ed25519_sk_to_curve25519 of a 64-byte secret key. */
export function ed25519SecretKeyToCurve25519(sk: Uint8Array): Uint8Array {
  assertBytes(sk, SECRET_KEY_BYTES, 'ed25519SecretKeyToCurve25519(sk)')
  const out = new Uint8Array(CURVE25519_BYTES)
  sodium.crypto_sign_ed25519_sk_to_curve25519(asBuffer(out), asBuffer(sk))
  return out
}

/** Ed25519 public key length (libsodium crypto_sign_PUBLICKEYBYTES). */
export const PUBLIC_KEY_BYTES = 32
/** Ed25519 secret key length: seed(32) || public key(32) (crypto_sign_SECRETKEYBYTES). */
export const SECRET_KEY_BYTES = 64
/** Ed25519 seed length (crypto_sign_SEEDBYTES). */
export const SEED_BYTES = 32
/** Ed25519 detached signature length (crypto_sign_BYTES). */
export const SIGNATURE_BYTES = 64
/** SHA-256 digest length (crypto_hash_sha256_BYTES). */
export const SHA256_BYTES = 32
/** Curve25519 key length (crypto_scalarmult_BYTES). */
export const CURVE25519_BYTES = 32
/**
 * Largest `secret` file we read. ssb-keys writes ~900 bytes; anything far bigger is not a key
 * file and is refused before it is read into memory.
 */
export const MAX_SECRET_FILE_BYTES = 64 * 1024
/** Mode of a new `secret` file, as ssb-keys writes it (0x100 = 0o400, owner read-only). */
export const SECRET_FILE_MODE = 0o400

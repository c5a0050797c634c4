/**
 * Largest `JSON.stringify(signedMsg, null, 2).length`, counted in UTF-16 code units, signature
 * included (ssb-validate 4.1.4 isInvalidShape; protocol.md §2.3).
 */
export const MAX_MESSAGE_LENGTH = 8192
/** Content `type` length bounds in UTF-16 code units (ssb-validate isInvalidContent). */
export const MIN_TYPE_LENGTH = 3
export const MAX_TYPE_LENGTH = 52
/** Base64 length of a 64-byte Ed25519 signature (ssb-validate isSigMatchesCurve). */
export const SIGNATURE_BASE64_LENGTH = 88
/** HMAC sign-cap length (libsodium crypto_auth_KEYBYTES). */
export const HMAC_KEY_BYTES = 32
/** Batches at least this long go to the worker pool (when there is one). */
export const PARALLEL_BATCH_THRESHOLD = 256
/**
 * Messages per job sent to a verify worker: about 8 jobs per worker per batch, so the last
 * job leaves little idle time, within these bounds (small jobs cost more in messaging).
 */
export const MAX_WORKER_CHUNK_MESSAGES = 128
export const MIN_WORKER_CHUNK_MESSAGES = 32
export const WORKER_JOBS_PER_BATCH = 8
/** Jobs kept in flight per worker so it never waits for the main thread. */
export const WORKER_JOBS_IN_FLIGHT = 2

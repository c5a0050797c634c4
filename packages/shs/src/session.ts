import { copyOut, sha256, wipe } from './crypto.js'
import type { ShsResult } from './types.js'

const NONCE_BYTES = 24

/**
 * Box-stream keys after the handshake (protocol.md §4, "Session keys"): a double hash of
 * key3, keyed to the receiver's long-term key; each side encrypts with the nonce taken from
 * the peer's challenge HMAC. Wipes nothing it was given; the caller owns key3.
 */
export function deriveSession(
  key3: Buffer,
  localPublicKey: Buffer,
  remotePublicKey: Buffer,
  localChallenge: Buffer,
  remoteChallenge: Buffer,
): ShsResult {
  const base = sha256(key3)
  const encryptKey = sha256(base, remotePublicKey)
  const decryptKey = sha256(base, localPublicKey)
  wipe(base)
  const result: ShsResult = {
    remotePublicKey: copyOut(remotePublicKey),
    encryptKey: copyOut(encryptKey),
    encryptNonce: copyOut(remoteChallenge.subarray(0, NONCE_BYTES)),
    decryptKey: copyOut(decryptKey),
    decryptNonce: copyOut(localChallenge.subarray(0, NONCE_BYTES)),
  }
  wipe(encryptKey, decryptKey)
  return result
}

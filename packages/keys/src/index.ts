export { KeysError, type KeysErrorCode } from './errors.js'
export {
  CURVE25519_BYTES,
  MAX_SECRET_FILE_BYTES,
  PUBLIC_KEY_BYTES,
  SECRET_FILE_MODE,
  SECRET_KEY_BYTES,
  SEED_BYTES,
  SHA256_BYTES,
  SIGNATURE_BYTES,
} from './constants.js'
export { fromBase64, isCanonicalBase64, toBase64 } from './bytes.js'
export {
  blobIdFromHash,
  type BlobId,
  type FeedId,
  feedIdToPublicKey,
  isBlobId,
  isBlobLink,
  isFeedId,
  isLink,
  isMsgId,
  isMsgLink,
  MAX_LINK_LENGTH,
  msgIdFromHash,
  type MsgId,
  type ParsedLink,
  parseLink,
  publicKeyToFeedId,
  type Sigil,
} from './links.js'
export {
  ed25519PublicKeyToCurve25519,
  ed25519SecretKeyToCurve25519,
  sha256,
  sign,
  verify,
} from './crypto.js'
export { generateKeys, type Keys, keysFromJSON, keysFromSecretKey, type KeysJSON, keysToJSON } from './keypair.js'
export { formatSecretFile, loadOrCreateSecret, loadSecret, parseSecretFile, saveSecret } from './secret-file.js'

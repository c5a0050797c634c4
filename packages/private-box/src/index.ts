export { PrivateBoxError, type PrivateBoxErrorCode } from './errors.js'
export {
  BOX_SUFFIX,
  DEFAULT_MAX_RECIPIENTS,
  HEADER_BYTES,
  KEY_BYTES,
  MAC_BYTES,
  MAX_CIPHERTEXT_BYTES,
  MAX_RECIPIENTS_LIMIT,
  MIN_CIPHERTEXT_BYTES,
  NONCE_BYTES,
  SLOT_BYTES,
  UNBOX_KEY_BYTES,
} from './constants.js'
export { box, type BoxOptions, type LimitOptions, unbox, unboxKey, unboxWithKey } from './multibox.js'
export { boxContent, decodeBoxString, unboxContent, unboxContentKey, unboxContentWithKey } from './content.js'
export { createUnboxer, type Unboxer } from './unboxer.js'

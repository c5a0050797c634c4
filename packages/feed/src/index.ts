export { ValidationError, type ValidationErrorCode } from './errors.js'
export {
  HMAC_KEY_BYTES,
  MAX_MESSAGE_LENGTH,
  MAX_TYPE_LENGTH,
  MIN_TYPE_LENGTH,
  PARALLEL_BATCH_THRESHOLD,
} from './constants.js'
export type { BatchResult, FeedOptions, FeedState, KVT, MsgValue, ValidatedMessage } from './types.js'
export { messageId, serializeMessage } from './serialize.js'
export { createMessage } from './create.js'
export { validateMessage } from './validate.js'
export { type BatchValidator, type BatchValidatorOptions, type FeedRun, createBatchValidator, validateBatch } from './batch.js'

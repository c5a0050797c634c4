export {
  APPEND_CONCURRENCY,
  DEFAULT_MAX_PENDING_RECEIVE_PER_PEER,
  DEFAULT_MAX_QUEUED_PER_PEER,
  DEFAULT_TIMEOUT_MS,
  HISTORY_SLICE,
  MAX_APPEND_BATCH,
  MAX_FORKS_PER_PEER,
  MAX_INVALID_PER_PEER,
  MAX_REMOTE_CLOCK_FEEDS,
  MIN_APPEND_BATCH,
  SUPPORTED_VERSIONS,
} from './constants.js'
export { createEbt, type Ebt } from './ebt.js'
export { EbtError, type EbtErrorCode } from './errors.js'
export { decodeNoteV2, decodeNoteV3, encodeNoteV2, encodeNoteV3, isMessageFrame, type Note } from './notes.js'
export type {
  AppendResult,
  ClockStore,
  EbtDeps,
  EbtOptions,
  Logger,
  PeerStatus,
  Progress,
  ReplicateOptions,
  Replication,
  VectorClock,
} from './types.js'

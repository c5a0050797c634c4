export { openLog } from './open.js'
export { LogError, type LogErrorCode } from './errors.js'
export type { CompactOptions, Log, LogEntry, LogLogger, LogOptions, RecoveryInfo, StreamOptions } from './types.js'
export { MAX_RECORD_BYTES } from './constants.js'

export { BlobsError, type BlobsErrorCode, isBlobsError } from './errors.js'
export {
  ATIME_WRITE_INTERVAL_MS,
  DEFAULT_MAX_BLOB_BYTES,
  FETCH_IDLE_TIMEOUT_MS,
  DEFAULT_PUSHY,
  DEFAULT_SYMPATHY,
  MAX_HAVES_PER_PEER,
  MAX_LIVE_QUEUE,
  MAX_PENDING_WANT_ENTRIES,
  MAX_WANT_MAP_ENTRIES,
  MAX_WANTS_PER_PEER,
  READ_CHUNK_BYTES,
} from './constants.js'
export { blobIdToHex, EMPTY_BLOB_ID } from './ids.js'
export type { Logger } from './logger.js'
export { openBlobStore } from './store.js'
export type { AddOptions, BlobMeta, BlobSource, BlobStore, BlobStoreOptions, GetOptions, LsOptions } from './types.js'
export { createBlobsSync } from './sync.js'
export type { BlobPeer, BlobsPeerHandle, BlobsSync, BlobsSyncDeps, BlobsSyncOptions, SyncStore, WantMap } from './sync-types.js'
export { type DecodedWantMap, decodeWantMap } from './want-map.js'

/** ssb-blobs default `blobs.max`: largest blob fetched from or served to peers (protocol.md §10). */
export const DEFAULT_MAX_BLOB_BYTES = 5 * 1024 * 1024
/** Read size of get(): the 64 KiB chunks JS (pull-file) sends as binary frames. */
export const READ_CHUNK_BYTES = 64 * 1024
/** Size of the reads that serve a blob (cut into READ_CHUNK_BYTES chunks). */
export const READ_BUFFER_BYTES = 512 * 1024
/** Size of the writes that store a blob being added (its chunks are gathered into them). */
export const WRITE_BUFFER_BYTES = 256 * 1024
/**
 * While a blob is being added, what has been written is synced to disk each time this many more
 * bytes were written, so the fsync at the end has only the rest to flush (with fsync on).
 */
export const SYNC_EVERY_BYTES = 256 * 1024
/** Writes of one blob being added that may run at once, while the next chunks arrive. */
export const WRITES_IN_FLIGHT = 4
/** Default hop limit of forwarded wants (ssb-blobs `sympathy`). */
export const DEFAULT_SYMPATHY = 3
/** Peers that must report having a pushed blob before we stop advertising it (ssb-blobs `pushy`). */
export const DEFAULT_PUSHY = 3
/** Outstanding wants we record per peer; more are ignored until some are satisfied. */
export const MAX_WANTS_PER_PEER = 1000
/** Haves we remember per peer for blobs we do not want yet; more are forgotten. */
export const MAX_HAVES_PER_PEER = 10_000
/** Entries read from one incoming want-map frame; the rest of the frame is ignored. */
export const MAX_WANT_MAP_ENTRIES = 10_000
/** Items a live stream buffers for a slow consumer before ending it with BLOB_SLOW_CONSUMER. */
export const MAX_LIVE_QUEUE = 10_000
/** Update entries queued for one peer's createWants stream before new entries are dropped. */
export const MAX_PENDING_WANT_ENTRIES = 10_000
/** Access times are written to the file (utimes) at most this often per blob. */
export const ATIME_WRITE_INTERVAL_MS = 60 * 60 * 1000
/**
 * A fetch that receives no bytes for this long is abandoned and the blob asked of another peer
 * that has it, so one stalling peer cannot hold a blob hostage (ssb-blobs has no such limit).
 */
export const FETCH_IDLE_TIMEOUT_MS = 5000

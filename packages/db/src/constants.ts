/**
 * Bump whenever the index layout or what gets indexed changes: on open, indexes written with
 * another version are thrown away and rebuilt from the log.
 */
export const INDEX_VERSION = 6

/** Subdirectories of `opts.dir`. */
export const LOG_DIR = 'log'
export const INDEX_DIR = 'indexes'

/**
 * The receive-time seek index keeps one (offset, timestamp) sample for the first record in each
 * window of this many log bytes; a ranged createLogStream reads at most one window too many.
 */
export const SEEK_WINDOW_BYTES = 64 * 1024

/**
 * LevelDB memtable size (default 4 MiB). Larger means fewer level-0 files, so a rebuild stalls
 * less on compaction (the random-keyed `k` entries make every file overlap); costs up to twice
 * this in memory.
 */
export const LEVEL_WRITE_BUFFER_BYTES = 16 * 1024 * 1024

/** Records per LevelDB batch while rebuilding or catching up from the log. */
export const REINDEX_BATCH_RECORDS = 4096

/** A write group (one log appendBatch) stops taking more queued jobs past this many messages. */
export const MAX_GROUP_MESSAGES = 8192

/** The writer waits while this many appended messages are not yet indexed (bounds memory). */
export const MAX_INDEX_BACKLOG = 4096

/** Runs of one feed at least this long go to the signature worker pool (when there is one). */
export const BATCH_PARALLEL_THRESHOLD = 32

/**
 * Index entries fetched per LevelDB iterator round trip, at most: the first fetches 16 (a query
 * with a small limit stops early), each next one four times more. A round trip through the
 * thread pool costs tens of µs, so a query that scans a long range makes few of them.
 */
export const ITERATOR_CHUNK = 4096

/**
 * Bytes of keys (and values) one iterator round trip may carry: classic-level stops a nextv at
 * 16 KiB by default, some 250 index keys, which made a scan of thousands of keys wait on
 * dozens of thread-pool round trips. Room for a full ITERATOR_CHUNK of typical entries.
 */
export const ITERATOR_CHUNK_BYTES = 512 * 1024

/** Messages resolved per log.readMany call, at most (slices grow from 8, doubling). */
export const READ_SLICE_RECORDS = 1024

/**
 * A live stream whose consumer falls this many matching messages behind fails with
 * DB_LIVE_OVERFLOW instead of buffering without bound.
 */
export const MAX_LIVE_BUFFER = 100_000

/** onProgress is called at most once per this many indexed log bytes during a rebuild. */
export const PROGRESS_EVERY_BYTES = 4 * 1024 * 1024

/**
 * ssb-friends 4.1.4 `contacts.js` edge weights: block/flag, follow, anything else (unfollow).
 * protocol.md §8.
 */
export const WEIGHT_FOLLOW = 1
export const WEIGHT_UNFOLLOW = -2
export const WEIGHT_BLOCK = -1

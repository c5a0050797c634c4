/** epidemic-broadcast-trees `timeout`: how long a peer may stay silent before rx moves elsewhere. */
export const DEFAULT_TIMEOUT_MS = 3000

/** Live messages waiting for one peer's reader; beyond this we re-read them from the store later. */
export const DEFAULT_MAX_QUEUED_PER_PEER = 256

/** Received messages per peer waiting for validation; the peer's input is not read beyond this. */
export const DEFAULT_MAX_PENDING_RECEIVE_PER_PEER = 1024

/** Messages handed to `appendRuns` at once, over all feeds (validated and written as one batch). */
export const MAX_APPEND_BATCH = 500

/**
 * A group waits for more messages while they keep arriving and it is smaller than this
 * (@ssb/feed verifies large batches on worker threads; the db writes a batch at once).
 */
export const MIN_APPEND_BATCH = 256

/** Groups being validated and stored at the same time (over all feeds and peers). */
export const APPEND_CONCURRENCY = 2

/** Messages of one feed sent from the store before the next wanted feed gets its turn. */
export const HISTORY_SLICE = 250

/**
 * Invalid messages (other than forks) a peer may send before we drop it: a JS peer validates
 * all it stores, so bad signatures or shapes mean a broken or hostile peer.
 */
export const MAX_INVALID_PER_PEER = 3

/** Forked feeds a peer may offer before we drop it (forks do exist in the wild). */
export const MAX_FORKS_PER_PEER = 16

/** Feeds in one peer's clock (notes it sent plus the stored clock); more ends the stream. */
export const MAX_REMOTE_CLOCK_FEEDS = 250_000

/** ebt.replicate versions we speak: 3 (current) and 2 (legacy note encoding). */
export const SUPPORTED_VERSIONS: readonly number[] = [2, 3]

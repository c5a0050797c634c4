/** Largest payload accepted by append and trusted by a read, checked before any allocation. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024

/** Payload length lives in the low 27 bits of a frame's first word, so the format itself caps at 128 MiB - 1. */
export const FRAME_LENGTH_MASK = 0x07ff_ffff
/** Bits 27..30 are reserved and must be zero; a set bit means the frame is damaged (or from a newer format). */
export const FRAME_RESERVED_MASK = 0x7800_0000
/** Bit 31 marks a tombstone: an erased record whose payload has been overwritten with zeros. */
export const FRAME_ERASED_FLAG = 0x8000_0000

/** [u32 length|flags][u32 payload crc][u32 header crc] before the payload. */
export const FRAME_HEADER_BYTES = 12
/** [u32 length|flags] after the payload, so the log can be walked backwards. */
export const FRAME_TRAILER_BYTES = 4
export const FRAME_OVERHEAD_BYTES = FRAME_HEADER_BYTES + FRAME_TRAILER_BYTES

/** Size of the data file header that precedes the first frame. */
export const FILE_HEADER_BYTES = 64
export const FILE_FORMAT_VERSION = 1

/** Highest offset we hand out: offsets are JS numbers, exact up to 2^53. */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER

/** Streams read this much at a time (they start smaller and grow up to it). */
export const STREAM_BLOCK_BYTES = 1024 * 1024
export const STREAM_FIRST_BLOCK_BYTES = 64 * 1024

/**
 * readMany reads records that lie at most this far apart in one sequential read: from the
 * page cache, 32 KiB more in one read cost about what one more 4 KiB read does.
 */
export const READ_MANY_GAP_BYTES = 32 * 1024
/** ... and one such read spans at most this much. */
export const READ_MANY_SPAN_BYTES = 1024 * 1024
/** A span's read runs this far past its last record's start (a longer frame is read on its own). */
export const READ_MANY_TAIL_BYTES = 8 * 1024
/** Records with no neighbour close enough are read one by one, this many at a time. */
export const READ_MANY_CONCURRENCY = 8

/** get() reads the page-sized block holding a frame's start; the cache keeps recent blocks. */
export const CACHE_BLOCK_BYTES = 4096
export const DEFAULT_CACHE_BYTES = 8 * 1024 * 1024
/** get() reads synchronously for up to this long per event-loop turn (see ReadSlicer). */
export const DEFAULT_SYNC_READ_MS = 2

/** With sync 'none', appends are gathered into writes of about this size. */
export const WRITE_CHUNK_BYTES = 1024 * 1024
/** With sync 'none', append waits (backpressure) while this much is queued and not yet written. */
export const MAX_WRITE_BEHIND_BYTES = 16 * 1024 * 1024
/** With sync 'none', one write() carries at most this much, so writing overlaps with appending. */
export const NONE_FLUSH_BYTES = 4 * 1024 * 1024

/**
 * A checkpoint records "verified and durable up to here", so open only re-reads the tail after it.
 * Written when this many bytes were added since the last one, or when CHECKPOINT_INTERVAL_MS passed.
 */
export const DEFAULT_CHECKPOINT_BYTES = 64 * 1024 * 1024
export const CHECKPOINT_INTERVAL_MS = 1000

export const DATA_FILE = 'log.data'
export const COMPACT_FILE = 'log.data.compacting'
export const NEW_FILE = 'log.data.creating'
export const CHECKPOINT_FILE = 'log.checkpoint'
export const LOCK_FILE = 'log.lock'
/** Bytes cut off a damaged tail that still held valid frames are kept under this prefix for inspection. */
export const RECOVERED_PREFIX = 'recovered-tail-'

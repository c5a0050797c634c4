import type { RecoveryInfo } from './recovery.js'
import type { LogEntry, StreamOptions } from './stream.js'

export type { LogEntry, StreamOptions } from './stream.js'
export type { RecoveryInfo } from './recovery.js'

/** The subset of the house Logger this package uses (repairs on open, stale lock takeovers). */
export interface LogLogger {
  warn(msg: string, ctx?: object): void
}

export interface LogOptions {
  dir: string
  /**
   * 'always' (default): append/appendBatch resolve only after the record is written and
   * fdatasync'd; concurrent appends share one write and one fsync (group commit).
   * 'none': append resolves as soon as the record is queued in memory; data is written in large
   * chunks and made durable by flush() or close(). For bulk imports.
   */
  sync?: 'always' | 'none'
  /** Called once during open when a damaged or torn tail was cut off. */
  onRecover?: (info: RecoveryInfo) => void
  logger?: LogLogger
  /** Offset of the first record of a newly created log (default 0). Ignored for an existing log. */
  initialOffset?: number
  /** Bytes of 4 KiB blocks get() keeps cached (default 8 MiB, 0 disables). */
  cacheBytes?: number
  /**
   * get(), readMany() and streams read synchronously (a few µs from the page cache, against
   * ~30 µs through the thread pool) for up to this many ms per event-loop turn, then let the
   * loop turn; default 2.
   * 0: always through the thread pool (e.g. on a network filesystem, where a read can stall).
   */
  syncReadMs?: number
  /** Write a checkpoint after this many new bytes (default 64 MiB); smaller = faster open after a crash. */
  checkpointBytes?: number
}

export interface CompactOptions {
  signal?: AbortSignal
  /** Frames examined so far (done) out of the frames in the log (total), erased ones included. */
  onProgress?: (p: { done: number; total: number }) => void
}

export interface Log {
  /** Resolves with the record's offset once durable (per the sync policy). */
  append(record: Uint8Array): Promise<number>
  /** One write and one fsync for the whole batch; offsets in order. */
  appendBatch(records: Uint8Array[]): Promise<number[]>
  /** The record at `offset`; null if erased; LOG_BAD_OFFSET if no record starts there. */
  get(offset: number): Promise<Uint8Array | null>
  /**
   * The records at `offsets` (any order, repeats allowed), null for erased ones, in the order
   * asked; LOG_BAD_OFFSET if one names no record. Records close together are read with one
   * sequential read. `decode` gets each payload as a view that is only valid during the call
   * (no copy is made); without it, copies are returned.
   */
  readMany(offsets: readonly number[]): Promise<Array<Uint8Array | null>>
  readMany<T>(offsets: readonly number[], decode: (payload: Uint8Array, offset: number) => T): Promise<Array<T | null>>
  /** Records in offset order (or reverse), skipping erased ones; `live` follows new appends until aborted. */
  stream(opts?: StreamOptions): AsyncIterable<LogEntry>
  /** Overwrites the record with zeros and marks it erased, durably. Idempotent. */
  erase(offset: number): Promise<void>
  /** Rewrites the log without erased records. Offsets change; `generation` increments. */
  compact(opts?: CompactOptions): Promise<void>
  /** Writes and fsyncs everything acknowledged so far, and checkpoints it (fast reopen). */
  flush(): Promise<void>
  readonly generation: number
  /** Offset where the next record will be written. */
  readonly end: number
  /** Offset of the first record (0 unless `initialOffset` was set at creation). */
  readonly start: number
  /** Live (non-erased) records. */
  readonly count: number
  /** What open had to repair, or null. */
  readonly recovery: RecoveryInfo | null
  close(): Promise<void>
}

import type { LogFile } from './log-file.js'
import type { Writer } from './writer.js'

/** What readers need from the open log. */
export interface ReadHost {
  readonly current: LogFile
  readonly writer: Writer
  readonly closed: boolean
  /** Throws LOG_CLOSED once close() started. */
  assertOpen(): void
  /** Resolves on the next flush, erase, compaction or close. */
  changed(): Promise<void>
  /** Turns an I/O failure of a read into the LogError it means (closed, compacted, I/O). */
  readError(err: unknown, lf: LogFile, offset: number): Error
  /** The io mutex erases run in: a read inside it cannot race an erase. */
  readonly io: { run<T>(section: () => Promise<T>): Promise<T> }
}

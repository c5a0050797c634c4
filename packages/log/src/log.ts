import { type Checkpoint, writeCheckpoint } from './checkpoint.js'
import { compactLog } from './compact.js'
import { CHECKPOINT_INTERVAL_MS, FRAME_OVERHEAD_BYTES, MAX_OFFSET, MAX_RECORD_BYTES } from './constants.js'
import type { ReadHost } from './core.js'
import { LogError } from './errors.js'
import type { DataFile } from './file.js'
import type { DirLock } from './lock.js'
import type { LogFile } from './log-file.js'
import { Mutex } from './mutex.js'
import { getRecord, prepareRead } from './read.js'
import { type Decode, readManyRecords } from './read-many.js'
import type { RecoveryInfo } from './recovery.js'
import { eraseRecord } from './erase.js'
import { type LogEntry, type StreamOptions, streamRecords } from './stream.js'
import type { CompactOptions, Log } from './types.js'
import { type SyncPolicy, Writer, type WriterHost } from './writer.js'

const copyPayload = (payload: Uint8Array): Uint8Array => payload.slice()

export interface LogState {
  dir: string
  sync: SyncPolicy
  lock: DirLock
  checkpointFile: DataFile
  current: LogFile
  end: number
  records: number
  erased: number
  checkpoint: { sequence: number; verifiedEnd: number }
  recovery: RecoveryInfo | null
  cacheBytes: number
  checkpointBytes: number
}

export class LogImpl implements Log, ReadHost, WriterHost {
  readonly dir: string
  readonly sync: SyncPolicy
  readonly io = new Mutex()
  readonly writer: Writer
  readonly recovery: RecoveryInfo | null
  readonly cacheBytes: number
  current: LogFile
  /** Tombstones in the data file. */
  erased: number
  /** Set while compaction runs: appends and erases wait for it. */
  gate: Promise<void> | null = null
  private gateTail: Promise<unknown> = Promise.resolve()
  private compacting: Promise<void> = Promise.resolve()
  private closing: Promise<void> | null = null
  private isClosed = false
  private wakeAll: () => void = () => undefined
  private change: Promise<void>
  private readonly lock: DirLock
  private readonly checkpointFile: DataFile
  private readonly checkpointBytes: number
  private checkpointSequence: number
  private checkpointEnd: number
  private checkpointAt = Date.now()
  private backgroundCheckpoint: Promise<void> | null = null

  constructor(s: LogState) {
    this.dir = s.dir
    this.sync = s.sync
    this.lock = s.lock
    this.checkpointFile = s.checkpointFile
    this.current = s.current
    this.erased = s.erased
    this.recovery = s.recovery
    this.cacheBytes = s.cacheBytes
    this.checkpointBytes = s.checkpointBytes
    this.checkpointSequence = s.checkpoint.sequence
    this.checkpointEnd = s.checkpoint.verifiedEnd
    this.writer = new Writer(this, s.end, s.records)
    this.change = new Promise((resolve) => (this.wakeAll = resolve))
  }

  get generation(): number {
    return this.current.generation
  }

  get end(): number {
    return this.writer.ackedEnd
  }

  get start(): number {
    return this.current.base
  }

  get count(): number {
    return this.writer.ackedRecords - this.erased
  }

  get closed(): boolean {
    return this.closing !== null
  }

  assertOpen(): void {
    if (this.closing) throw new LogError('LOG_CLOSED', 'the log is closed')
  }

  changed(): Promise<void> {
    return this.change
  }

  notify(): void {
    const wake = this.wakeAll
    this.change = new Promise((resolve) => (this.wakeAll = resolve))
    wake()
  }

  readError(err: unknown, lf: LogFile, offset: number): Error {
    if (err instanceof LogError) return err
    if (this.isClosed || this.closing) return new LogError('LOG_CLOSED', 'the log was closed during a read', { cause: err })
    if (this.current !== lf) {
      return new LogError('LOG_COMPACTED', 'the log was compacted during this read; offsets changed', { cause: err })
    }
    return new LogError('LOG_IO', `read failed near offset ${offset}: ${String(err)}`, { cause: err, offset })
  }

  append(record: Uint8Array): Promise<number> {
    try {
      this.checkRecords([record])
    } catch (err) {
      return Promise.reject(err)
    }
    if (this.gate) return this.queueBehindGate(() => this.writer.appendOne(record))
    return this.writer.appendOne(record)
  }

  appendBatch(records: Uint8Array[]): Promise<number[]> {
    try {
      if (!Array.isArray(records)) throw new LogError('LOG_INVALID_ARGUMENT', 'appendBatch expects an array of Uint8Array')
      this.checkRecords(records)
    } catch (err) {
      return Promise.reject(err)
    }
    if (records.length === 0) return Promise.resolve([])
    if (this.gate) return this.queueBehindGate(() => this.writer.append(records))
    return this.writer.append(records)
  }

  private checkRecords(records: Uint8Array[]): void {
    this.assertOpen()
    let bytes = 0
    for (const r of records) {
      if (!(r instanceof Uint8Array)) throw new LogError('LOG_INVALID_ARGUMENT', 'records must be Uint8Array')
      if (r.length > MAX_RECORD_BYTES) {
        throw new LogError('LOG_TOO_LARGE', `record of ${r.length} bytes exceeds MAX_RECORD_BYTES (${MAX_RECORD_BYTES})`)
      }
      bytes += r.length + FRAME_OVERHEAD_BYTES
    }
    if (this.writer.nextOffset + bytes > MAX_OFFSET) throw new LogError('LOG_TOO_LARGE', 'the log would exceed 2^53 bytes of offsets')
  }

  /** While a compaction runs, appends wait and then go, in call order, to the new generation. */
  private queueBehindGate<T>(append: () => Promise<T>): Promise<T> {
    const queued = this.gate!.then(append)
    this.gateTail = queued.catch(() => undefined)
    return queued
  }

  get(offset: number): Promise<Uint8Array | null> {
    return getRecord(this, offset)
  }

  readMany(offsets: readonly number[]): Promise<Array<Uint8Array | null>>
  readMany<T>(offsets: readonly number[], decode: Decode<T>): Promise<Array<T | null>>
  readMany<T>(offsets: readonly number[], decode?: Decode<T>): Promise<Array<T | Uint8Array | null>> {
    return readManyRecords<T | Uint8Array>(this, offsets, decode ?? copyPayload)
  }

  stream(opts?: StreamOptions): AsyncIterable<LogEntry> {
    return streamRecords(this, opts)
  }

  async erase(offset: number): Promise<void> {
    this.assertOpen()
    const lf = this.current
    if (this.gate) await this.gate
    if (this.current !== lf) throw new LogError('LOG_COMPACTED', `offset ${offset} is from before a compaction`, { offset })
    await prepareRead(this, offset)
    await this.io.run(() => eraseRecord(this, lf, offset))
    this.notify()
  }

  compact(opts: CompactOptions = {}): Promise<void> {
    try {
      this.assertOpen()
    } catch (err) {
      return Promise.reject(err)
    }
    // The gate goes up now, not when the compaction starts running: an append made after this
    // call must get an offset in the new generation.
    let openGate: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (openGate = resolve))
    this.gate = gate
    const run = this.compacting
      .catch(() => undefined)
      .then(() => compactLog(this, opts))
      .finally(() => {
        if (this.gate === gate) this.gate = null
        openGate()
        this.notify()
      })
    this.compacting = run
    return run
  }

  async flush(): Promise<void> {
    this.assertOpen()
    await this.gateTail
    await this.writer.flushAll()
    await this.backgroundCheckpoint
    await this.io.run(async () => {
      if (this.writer.failure) throw this.writer.failure
      if (this.sync === 'none') await this.current.file.datasync()
      if (this.writer.fileEnd > this.checkpointEnd) await this.writeCheckpoint(null)
    })
  }

  /** Inside the io mutex, after every flush: write a checkpoint when enough is unchecked. */
  async afterFlush(): Promise<void> {
    const lag = this.writer.fileEnd - this.checkpointEnd
    if (lag <= 0) return
    if (this.sync === 'always') {
      // The data is fsynced already: a checkpoint costs one small write + fsync.
      if (lag >= this.checkpointBytes || Date.now() - this.checkpointAt >= CHECKPOINT_INTERVAL_MS) await this.writeCheckpoint(null)
    } else if (lag >= this.checkpointBytes && !this.backgroundCheckpoint) {
      this.backgroundCheckpoint = this.checkpointInBackground().finally(() => (this.backgroundCheckpoint = null))
    }
  }

  /**
   * sync 'none': fsync the data without holding the io mutex, so appends keep flowing, then vouch
   * for what was written before the fsync started (fdatasync covers every completed write).
   */
  private async checkpointInBackground(): Promise<void> {
    const lf = this.current
    const target = { end: this.writer.fileEnd, records: this.writer.fileRecords, erased: this.erased }
    try {
      await lf.file.datasync()
      await this.io.run(async () => {
        // An erase or compaction in between wrote its own, newer checkpoint.
        if (this.current !== lf || this.erased !== target.erased || target.end <= this.checkpointEnd) return
        await this.writeCheckpoint(null, target)
      })
    } catch (err) {
      this.writer.fail(err)
    }
  }

  /** Inside the io mutex, with the data file fsynced up to `at.end` (default: all written). */
  async writeCheckpoint(
    pendingErase: Checkpoint['pendingErase'],
    at: { end: number; records: number; erased: number } = { end: this.writer.fileEnd, records: this.writer.fileRecords, erased: this.erased },
  ): Promise<void> {
    const cp: Checkpoint = {
      sequence: this.checkpointSequence + 1,
      fileId: this.current.header.fileId,
      verifiedEnd: at.end,
      records: at.records,
      erased: at.erased,
      pendingErase,
    }
    await writeCheckpoint(this.checkpointFile, cp)
    this.checkpointSequence = cp.sequence
    this.checkpointEnd = cp.verifiedEnd
    this.checkpointAt = Date.now()
  }

  /** After compaction swapped the data file in. */
  resetCheckpointEnd(): void {
    this.checkpointEnd = -1
  }

  close(): Promise<void> {
    if (!this.closing) this.closing = this.doClose()
    return this.closing
  }

  private async doClose(): Promise<void> {
    let error: unknown = null
    await this.compacting.catch(() => undefined)
    await this.gateTail
    await this.backgroundCheckpoint
    try {
      await this.writer.flushAll()
    } catch (err) {
      error = err
    }
    try {
      await this.io.run(async () => {
        if (this.writer.failure) return
        if (this.writer.fileEnd === this.checkpointEnd) return
        if (this.sync === 'none') await this.current.file.datasync()
        await this.writeCheckpoint(null)
      })
    } catch (err) {
      error ??= err
    }
    this.isClosed = true
    this.notify()
    await Promise.allSettled([this.current.file.close(), this.checkpointFile.close()])
    await this.lock.release()
    if (error) throw error instanceof LogError ? error : new LogError('LOG_WRITE_FAILED', `close failed: ${String(error)}`, { cause: error })
  }
}

import { MAX_WRITE_BEHIND_BYTES, NONE_FLUSH_BYTES, WRITE_CHUNK_BYTES } from './constants.js'
import { LogError } from './errors.js'
import { allocBytes } from './file.js'
import { encodeFrame, frameSize } from './frame.js'
import type { LogFile } from './log-file.js'
import type { Mutex } from './mutex.js'

export type SyncPolicy = 'always' | 'none'

export interface WriterHost {
  readonly sync: SyncPolicy
  readonly io: Mutex
  readonly current: LogFile
  /** Runs inside the io mutex after each flush: the place to write a checkpoint. */
  afterFlush(): Promise<void>
  /** Wakes live streams. */
  notify(): void
}

interface Waiter {
  ok: () => void
  fail: (err: unknown) => void
}

interface Chunk {
  bytes: Uint8Array
  view: DataView
  used: number
  /** Logical offset of the chunk's first frame. */
  start: number
  records: number
  waiters: Waiter[]
}

// Appends are framed into chunks as they arrive (offsets are assigned at once). A flush takes
// every queued chunk, writes them with one writev and, with sync 'always', one fdatasync: all the
// appends that arrived while the previous flush was busy share that fsync (group commit).
// Flushes start from setImmediate so the continuations of the appends just acknowledged (the
// callers' next appends) join the next group.
export class Writer {
  /** Where the next record goes. */
  nextOffset: number
  /** End of the bytes written to the file, and the frames below it. */
  fileEnd: number
  fileRecords: number
  /** End of acknowledged records (fsynced with 'always'; queued in memory with 'none'). */
  ackedEnd: number
  ackedRecords: number
  failure: LogError | null = null

  private open: Chunk | null = null
  private sealed: Chunk[] = []
  private queuedBytes = 0
  private scheduled = false
  private running: Promise<void> | null = null
  private backpressure: Waiter[] = []
  private readonly chunkBytes: number

  constructor(
    private readonly host: WriterHost,
    end: number,
    records: number,
  ) {
    this.nextOffset = this.fileEnd = this.ackedEnd = end
    this.fileRecords = this.ackedRecords = records
    this.chunkBytes = host.sync === 'none' ? WRITE_CHUNK_BYTES : WRITE_CHUNK_BYTES / 4
  }

  /** Resets positions after a compaction swapped the file (nothing may be queued). */
  reset(end: number, records: number): void {
    this.open = null
    this.nextOffset = this.fileEnd = this.ackedEnd = end
    this.fileRecords = this.ackedRecords = records
  }

  /** Frames the records (already validated) and queues them; resolves per the sync policy. */
  append(records: Uint8Array[]): Promise<number[]> {
    if (this.failure) return Promise.reject(this.failure)
    const offsets = new Array<number>(records.length)
    let chunk: Chunk | null = null
    for (let i = 0; i < records.length; i++) {
      offsets[i] = this.nextOffset
      chunk = this.frame(records[i]!)
    }
    return this.acknowledge(chunk!, offsets, records.length)
  }

  /** append() for one record, without the arrays. */
  appendOne(record: Uint8Array): Promise<number> {
    if (this.failure) return Promise.reject(this.failure)
    const offset = this.nextOffset
    return this.acknowledge(this.frame(record), offset, 1)
  }

  private frame(record: Uint8Array): Chunk {
    const size = frameSize(record.length)
    let chunk = this.open
    if (!chunk || chunk.bytes.length - chunk.used < size) {
      if (chunk) this.seal()
      chunk = this.newChunk(size)
    }
    chunk.used += encodeFrame(chunk.bytes, chunk.view, chunk.used, this.nextOffset, this.host.current.salt, record)
    chunk.records++
    this.nextOffset += size
    this.queuedBytes += size
    return chunk
  }

  private acknowledge<T>(chunk: Chunk, value: T, records: number): Promise<T> {
    this.schedule()
    if (this.host.sync === 'always') {
      return new Promise((resolve, reject) => chunk.waiters.push({ ok: () => resolve(value), fail: reject }))
    }
    this.ackedEnd = this.nextOffset
    this.ackedRecords += records
    if (chunk.used >= this.chunkBytes && chunk === this.open) this.seal()
    if (this.queuedBytes < MAX_WRITE_BEHIND_BYTES) return Promise.resolve(value)
    return new Promise((resolve, reject) => this.backpressure.push({ ok: () => resolve(value), fail: reject }))
  }

  get hasQueued(): boolean {
    return this.sealed.length > 0 || (this.open !== null && this.open.used > 0)
  }

  /** Writes (without fsync for 'none') everything queued so far. */
  async flushAll(): Promise<void> {
    while (this.hasQueued || this.running) await this.run()
    if (this.failure) throw this.failure
  }

  /** Puts the writer in its failed state: every queued and future append rejects. */
  fail(cause: unknown): void {
    if (!this.failure) {
      this.failure =
        cause instanceof LogError && cause.code === 'LOG_WRITE_FAILED'
          ? cause
          : new LogError('LOG_WRITE_FAILED', `log write failed; reopen the log to recover: ${String(cause)}`, { cause })
    }
    this.seal()
    for (const chunk of this.sealed.splice(0)) for (const w of chunk.waiters) w.fail(this.failure)
    for (const w of this.backpressure.splice(0)) w.fail(this.failure)
    this.queuedBytes = 0
  }

  private newChunk(minBytes: number): Chunk {
    const bytes = allocBytes(Math.max(minBytes, this.chunkBytes))
    const chunk: Chunk = {
      bytes,
      view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      used: 0,
      start: this.nextOffset,
      records: 0,
      waiters: [],
    }
    this.open = chunk
    return chunk
  }

  private seal(): void {
    if (this.open && this.open.used > 0) this.sealed.push(this.open)
    this.open = null
  }

  private schedule(): void {
    if (this.scheduled || this.running) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      void this.run()
    })
  }

  private run(): Promise<void> {
    if (!this.running) {
      this.running = this.loop().finally(() => {
        this.running = null
        if (this.hasQueued && !this.failure) this.schedule()
      })
    }
    return this.running
  }

  /**
   * 'always': one group (everything queued) per run; the next run starts from setImmediate so the
   * acknowledged callers can join it. 'none': writes of up to NONE_FLUSH_BYTES back to back, and
   * the next write is issued before the producers waiting on backpressure are woken, so the
   * disk and the producers work at the same time.
   */
  private async loop(): Promise<void> {
    let batch = this.takeBatch(true)
    let writing = batch.length > 0 ? this.write(batch) : null
    while (writing) {
      if (!(await writing)) return
      const done = batch
      batch = this.host.sync === 'none' ? this.takeBatch(false) : []
      writing = batch.length > 0 ? this.write(batch) : null
      this.complete(done)
    }
  }

  private takeBatch(sealOpen: boolean): Chunk[] {
    if (this.failure) return []
    if (this.host.sync === 'always') {
      this.seal()
      return this.sealed.splice(0)
    }
    if (sealOpen && this.sealed.length === 0) this.seal()
    let n = 0
    let bytes = 0
    while (n < this.sealed.length && (n === 0 || bytes + this.sealed[n]!.used <= NONE_FLUSH_BYTES)) bytes += this.sealed[n++]!.used
    return this.sealed.splice(0, n)
  }

  /** Writes a batch (and fsyncs with 'always'); false when it failed and the writer is now failed. */
  private write(batch: Chunk[]): Promise<boolean> {
    let bytes = 0
    let records = 0
    for (const c of batch) {
      bytes += c.used
      records += c.records
    }
    return this.host.io
      .run(async () => {
        if (this.failure) throw this.failure
        const lf = this.host.current
        await lf.file.writev(
          batch.map((c) => c.bytes.subarray(0, c.used)),
          lf.pos(batch[0]!.start),
        )
        if (this.host.sync === 'always') await lf.file.datasync()
        this.fileEnd += bytes
        this.fileRecords += records
        if (this.host.sync === 'always') {
          this.ackedEnd = this.fileEnd
          this.ackedRecords = this.fileRecords
        }
        await this.host.afterFlush()
      })
      .then(
        () => true,
        (err: unknown) => {
          this.fail(err)
          for (const c of batch) for (const w of c.waiters) w.fail(this.failure)
          this.host.notify()
          return false
        },
      )
  }

  private complete(batch: Chunk[]): void {
    for (const c of batch) {
      this.queuedBytes -= c.used
      for (const w of c.waiters) w.ok()
    }
    if (this.queuedBytes < MAX_WRITE_BEHIND_BYTES) for (const w of this.backpressure.splice(0)) w.ok()
    this.host.notify()
  }
}

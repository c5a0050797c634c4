import { Worker } from 'node:worker_threads'
import { WORKER_JOBS_IN_FLIGHT } from './constants.js'
import { verifyJob } from './job-buffer.js'

interface Job {
  id: number
  buffer: ArrayBuffer
  count: number
  hmacKey: Buffer | null
  resolve(firstInvalid: number): void
  reject(err: Error): void
}

interface PoolWorker {
  worker: Worker
  inFlight: Map<number, Job>
}

const MAX_FREE_BUFFERS = 16

/**
 * A small pool of signature-verify workers, started on first use. Idle workers are unref'd so
 * they never keep the process alive; close() terminates them.
 */
export class VerifyPool {
  private readonly workers: PoolWorker[] = []
  private readonly queue: Job[] = []
  private readonly freeBuffers: ArrayBuffer[] = []
  private nextId = 1
  private started = false
  closed = false

  constructor(
    private readonly size: number,
    private readonly workerUrl: URL,
  ) {}

  private start(): void {
    this.started = true
    for (let i = 0; i < this.size; i++) this.spawn()
  }

  private spawn(): void {
    const worker = new Worker(this.workerUrl)
    const entry: PoolWorker = { worker, inFlight: new Map() }
    worker.unref()
    worker.on('message', (msg: { id: number; firstInvalid: number; buffer: ArrayBuffer }) => {
      const job = entry.inFlight.get(msg.id)
      if (!job) return
      entry.inFlight.delete(msg.id)
      if (entry.inFlight.size === 0) worker.unref()
      if (this.freeBuffers.length < MAX_FREE_BUFFERS) this.freeBuffers.push(msg.buffer)
      job.resolve(msg.firstInvalid)
      this.pump()
    })
    const onFailure = (err: Error): void => {
      const index = this.workers.indexOf(entry)
      if (index !== -1) this.workers.splice(index, 1)
      for (const job of entry.inFlight.values()) job.reject(err)
      entry.inFlight.clear()
    }
    worker.on('error', onFailure)
    worker.on('exit', (code) => onFailure(new Error(`verify worker exited with code ${code}`)))
    this.workers.push(entry)
  }

  /** A recycled transferable buffer for the next job, if one is free. */
  takeBuffer(): ArrayBuffer | undefined {
    return this.freeBuffers.pop()
  }

  /** Resolves with the index of the first invalid signature in the job, or -1. */
  submit(buffer: ArrayBuffer, count: number, hmacKey: Buffer | null): Promise<number> {
    if (this.closed) return Promise.reject(new Error('verify pool closed'))
    if (!this.started) this.start()
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, buffer, count, hmacKey, resolve, reject })
      this.pump()
    })
  }

  private pump(): void {
    for (const entry of this.workers) {
      while (entry.inFlight.size < WORKER_JOBS_IN_FLIGHT && this.queue.length > 0) {
        const job = this.queue.shift()!
        entry.inFlight.set(job.id, job)
        entry.worker.ref()
        entry.worker.postMessage(
          { id: job.id, buffer: job.buffer, count: job.count, hmacKey: job.hmacKey },
          [job.buffer],
        )
      }
    }
  }

  /**
   * Verifies queued jobs on the calling thread while workers are busy, yielding between jobs so
   * worker replies (which refill the workers) are handled. Returns when the queue is empty.
   */
  async helpWithQueue(): Promise<void> {
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      const job = this.queue.shift()
      if (!job) return
      job.resolve(verifyJob(job.buffer, job.count, job.hmacKey))
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const err = new Error('verify pool closed')
    for (const job of this.queue.splice(0)) job.reject(err)
    await Promise.all(this.workers.map((entry) => entry.worker.terminate()))
    this.workers.length = 0
  }
}

import { MAX_LIVE_QUEUE } from './constants.js'
import { BlobsError } from './errors.js'

/**
 * One live subscription: an async iterator fed by push(). It is registered when created (not
 * when first pulled), so nothing published in between is missed. A consumer more than
 * `maxQueue` items behind is ended with BLOB_SLOW_CONSUMER rather than buffering forever.
 * Aborting the signal or calling return() ends it quietly.
 */
export class Subscription<T> implements AsyncIterableIterator<T> {
  private queue: T[] = []
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null
  private error: Error | null = null
  private done = false
  private readonly onAbort = (): void => this.end()

  constructor(
    private readonly onClose: (sub: Subscription<T>) => void,
    private readonly signal?: AbortSignal,
    private readonly maxQueue = MAX_LIVE_QUEUE,
  ) {
    if (signal?.aborted) this.done = true
    else signal?.addEventListener('abort', this.onAbort, { once: true })
  }

  get closed(): boolean {
    return this.done
  }

  push(value: T): void {
    if (this.done) return
    if (this.waiter) {
      const w = this.waiter
      this.waiter = null
      w.resolve({ value, done: false })
    } else if (this.queue.length >= this.maxQueue) {
      this.fail(new BlobsError('BLOB_SLOW_CONSUMER', `live stream consumer is more than ${this.maxQueue} items behind`))
    } else {
      this.queue.push(value)
    }
  }

  /** Ends after the queued items are consumed. */
  end(): void {
    if (this.done) return
    this.done = true
    this.cleanup()
    if (this.waiter && this.queue.length === 0) {
      const w = this.waiter
      this.waiter = null
      w.resolve({ value: undefined, done: true })
    }
  }

  fail(err: Error): void {
    if (this.done) return
    this.error = err
    this.queue = []
    this.done = true
    this.cleanup()
    if (this.waiter) {
      const w = this.waiter
      this.waiter = null
      this.error = null
      w.reject(err)
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift() as T, done: false })
    if (this.error) {
      const err = this.error
      this.error = null
      return Promise.reject(err)
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true })
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject }
    })
  }

  return(): Promise<IteratorResult<T>> {
    this.queue = []
    this.end()
    return Promise.resolve({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  private cleanup(): void {
    this.signal?.removeEventListener('abort', this.onAbort)
    this.onClose(this)
  }
}

/** Fan-out of published values to every current subscription. */
export class Topic<T> {
  private readonly subs = new Set<Subscription<T>>()
  private closed = false

  subscribe(signal?: AbortSignal, maxQueue?: number): Subscription<T> {
    const sub = new Subscription<T>((s) => this.subs.delete(s), signal, maxQueue)
    if (this.closed) sub.end()
    else if (!sub.closed) this.subs.add(sub)
    return sub
  }

  publish(value: T): void {
    for (const sub of this.subs) sub.push(value)
  }

  close(): void {
    this.closed = true
    for (const sub of [...this.subs]) sub.end()
  }

  get size(): number {
    return this.subs.size
  }
}

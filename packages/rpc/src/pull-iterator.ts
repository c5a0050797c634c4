import type pull from 'pull-stream'
import { endToError, RpcError } from './errors.js'

export interface PullIteratorOptions {
  signal?: AbortSignal | undefined
  /** Called once when the iterator is finished, however that happened. */
  onFinish?: () => void
  /**
   * `return()` stops the iterator without aborting the source: its owner aborts it later, with
   * a value of its choosing (a sink's handler that stops reading early has not failed or
   * succeeded yet, and the abort becomes our END to the peer).
   */
  ownerAborts?: boolean
}

/**
 * An AsyncIterator over a pull-stream source (pull-weird's), with stop by `return()`/`break`
 * or AbortSignal, and an optional "end after n items" for ENDs the tracker holds back.
 */
export class PullIterator implements AsyncIterableIterator<unknown> {
  #read: pull.Source<unknown> | null
  #waitingForSource: Array<() => void> = []
  #done = false
  #stopped = false
  #error: unknown = null
  #consumed = 0
  #endAfter = -1
  #token = 0
  #hasError = false
  #pending: { resolve: (r: IteratorResult<unknown>) => void; reject: (e: unknown) => void } | null = null
  readonly #opts: PullIteratorOptions
  readonly #onAbort: (() => void) | null = null

  constructor(read: pull.Source<unknown> | null, opts: PullIteratorOptions = {}) {
    this.#read = read
    this.#opts = opts
    const signal = opts.signal
    if (signal !== undefined) {
      if (signal.aborted) this.#abortNow(signal.reason)
      else {
        this.#onAbort = () => this.#abortNow(signal.reason)
        signal.addEventListener('abort', this.#onAbort, { once: true })
      }
    }
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  setSource(read: pull.Source<unknown>): void {
    this.#read = read
    if (this.#stopped && this.#opts.ownerAborts !== true) read(true, () => {})
    const waiting = this.#waitingForSource
    this.#waitingForSource = []
    for (const w of waiting) w()
  }

  /** The peer ended after `n` data items: finish once they have been read. */
  endAfter(n: number): void {
    this.#endAfter = n
    if (this.#consumed >= n) this.terminate()
  }

  /** No more items will come through the source: settle a waiting read and finish (or fail with `err`). */
  terminate(err?: unknown): void {
    if (this.#done) return
    this.#finish()
    this.#token++
    const p = this.#pending
    this.#pending = null
    if (err !== undefined) {
      if (p !== null) p.reject(err)
      else this.#setError(err)
    } else p?.resolve({ done: true, value: undefined })
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.#hasError) {
      const err = this.#error
      this.#error = null
      this.#hasError = false
      return Promise.reject(err)
    }
    if (this.#done) return Promise.resolve({ done: true, value: undefined })
    if (this.#pending !== null) return Promise.reject(new RpcError('RPC_BAD_ARGS', 'next() called while a read is pending'))
    if (this.#endAfter >= 0 && this.#consumed >= this.#endAfter) {
      this.terminate()
      return Promise.resolve({ done: true, value: undefined })
    }
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject }
      if (this.#read === null) this.#waitingForSource.push(() => this.#pull())
      else this.#pull()
    })
  }

  #pull(): void {
    if (this.#done || this.#pending === null || this.#read === null) return
    const token = ++this.#token
    this.#read(null, (end, data) => {
      if (token !== this.#token || this.#pending === null) return
      const p = this.#pending
      this.#pending = null
      if (end) {
        this.#finish()
        if (end === true) p.resolve({ done: true, value: undefined })
        else p.reject(endToError(end))
        return
      }
      this.#consumed++
      p.resolve({ done: false, value: data })
      if (this.#endAfter >= 0 && this.#consumed >= this.#endAfter) this.#finish()
    })
  }

  return(): Promise<IteratorResult<unknown>> {
    this.#stop()
    return Promise.resolve({ done: true, value: undefined })
  }

  #abortNow(reason: unknown): void {
    if (this.#done) return
    const err = new RpcError('RPC_ABORTED', 'the call was aborted', { cause: reason })
    const p = this.#pending
    this.#pending = null
    this.#stop()
    if (p !== null) p.reject(err)
    else this.#setError(err)
  }

  #setError(err: unknown): void {
    this.#error = err
    this.#hasError = true
  }

  #stop(): void {
    if (this.#done) return
    this.#finish()
    this.#stopped = true
    this.#token++
    const p = this.#pending
    this.#pending = null
    p?.resolve({ done: true, value: undefined })
    if (this.#opts.ownerAborts !== true) this.#read?.(true, () => {})
  }

  #finish(): void {
    this.#done = true
    if (this.#onAbort !== null) this.#opts.signal?.removeEventListener('abort', this.#onAbort)
    this.#opts.onFinish?.()
  }
}

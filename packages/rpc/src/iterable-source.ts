import type pull from 'pull-stream'
import { RpcError } from './errors.js'
import { encodeBody } from './frame-codec.js'
import type { Streamable } from './types.js'

export type EndReason = 'done' | 'error' | 'aborted'

export interface IterableSourceOptions {
  /** Resolves when the transport can take more; null when it already can. */
  gate: () => Promise<void> | null
  /** Turns an error from the iterable into the END value sent to the peer. */
  onError: (err: unknown) => unknown
  /** After the END went out ('done'/'error') or muxrpc aborted us ('aborted'). */
  onEnd?: (reason: EndReason) => void
}

type AnyIterator = AsyncIterator<unknown> | Iterator<unknown>

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
}

/**
 * The method an iterable may carry to be read a slice (array of items) at a time (a registered
 * symbol, `@ssb/db`'s SLICES): one async step per slice instead of per item.
 */
const SLICES = Symbol.for('ssb.slices')

function slicesOf(s: unknown): AsyncIterator<readonly unknown[]> | null {
  if (s === null || typeof s !== 'object') return null
  const own = (s as { [SLICES]?: () => AsyncIterator<readonly unknown[]> })[SLICES]
  return typeof own === 'function' ? own.call(s) : null
}

function iteratorOf(s: unknown): AnyIterator {
  if (s !== null && typeof s === 'object') {
    const o = s as { [Symbol.asyncIterator]?: () => AsyncIterator<unknown>; [Symbol.iterator]?: () => Iterator<unknown> }
    if (typeof o[Symbol.asyncIterator] === 'function') return o[Symbol.asyncIterator]!()
    if (typeof o[Symbol.iterator] === 'function') return o[Symbol.iterator]!()
  }
  throw new RpcError('RPC_BAD_API', 'stream handler did not return an (async) iterable')
}

/**
 * A pull-stream source reading an (async) iterable, one item per read and only while the
 * transport drains: a peer that stops reading stops the producer, not our memory.
 * Items are serialised here, so a value that cannot be sent fails this stream only.
 */
export class IterableSource {
  readonly source: pull.Source<unknown>
  #input: Streamable | Promise<Streamable> | null
  #it: AnyIterator | null = null
  /** Whether #it yields slices; then the rest of the current one and where it is at. */
  #sliced = false
  #slice: readonly unknown[] | null = null
  #at = 0
  #pending: pull.SourceCallback<unknown> | null = null
  #ended = false
  #finishWith: unknown = null
  readonly #opts: IterableSourceOptions

  constructor(input: Streamable | Promise<Streamable>, opts: IterableSourceOptions) {
    // Read later (after the gate); until then a rejection must not count as unhandled.
    if (isThenable(input)) input.then(undefined, () => {})
    this.#input = input
    this.#opts = opts
    this.source = (abort, cb) => this.#read(abort, cb)
  }

  /** End the stream at the next read (now, if one is waiting), with END `true` or the given error body. */
  finish(endValue: unknown = true): void {
    if (this.#ended) return
    this.#finishWith = endValue
    if (this.#pending !== null) this.#end(endValue, endValue === true ? 'done' : 'error')
  }

  #read(abort: pull.Abort, cb: pull.SourceCallback<unknown>): void {
    if (this.#ended) {
      cb(abort || true)
      return
    }
    if (abort) {
      this.#ended = true
      const pending = this.#pending
      this.#pending = null
      if (pending !== null) pending(abort)
      cb(abort)
      // Let the producer see its signal abort before its iterator is closed.
      this.#opts.onEnd?.('aborted')
      this.#closeIterator()
      return
    }
    this.#pending = cb
    if (this.#finishWith !== null) {
      this.#end(this.#finishWith, this.#finishWith === true ? 'done' : 'error')
      return
    }
    const gate = this.#opts.gate()
    if (gate === null) this.#next()
    else gate.then(() => this.#next())
  }

  #next(): void {
    if (this.#ended || this.#pending === null) return
    if (this.#it === null) {
      const input = this.#input
      this.#input = null
      if (isThenable(input)) {
        input.then(
          (s) => {
            this.#input = s
            this.#next()
          },
          (err: unknown) => this.#fail(err),
        )
        return
      }
      try {
        const slices = slicesOf(input)
        this.#sliced = slices !== null
        this.#it = slices ?? iteratorOf(input)
      } catch (err) {
        this.#fail(err)
        return
      }
    }
    const slice = this.#slice
    if (slice !== null) {
      const value = slice[this.#at++]
      if (this.#at >= slice.length) this.#slice = null
      this.#deliver({ done: false, value })
      return
    }
    let r: IteratorResult<unknown> | Promise<IteratorResult<unknown>>
    try {
      r = this.#it.next()
    } catch (err) {
      this.#fail(err)
      return
    }
    if (isThenable(r)) r.then((res) => this.#result(res), (err: unknown) => this.#fail(err))
    else this.#result(r)
  }

  #result(r: IteratorResult<unknown>): void {
    if (!this.#sliced || r.done === true) {
      this.#deliver(r)
      return
    }
    const slice = r.value as readonly unknown[]
    if (slice.length === 0) {
      this.#next()
      return
    }
    this.#slice = slice.length > 1 ? slice : null
    this.#at = 1
    this.#deliver({ done: false, value: slice[0] })
  }

  #deliver(r: IteratorResult<unknown>): void {
    if (this.#ended || this.#pending === null) return
    if (r.done === true) {
      this.#end(true, 'done')
      return
    }
    const value = r.value
    // An empty body would read as goodbye; an empty chunk carries nothing, so skip it.
    if (value instanceof Uint8Array && value.byteLength === 0) {
      this.#next()
      return
    }
    let body: unknown
    try {
      body = encodeBody(value)
    } catch (err) {
      this.#closeIterator()
      this.#fail(err)
      return
    }
    const cb = this.#pending
    this.#pending = null
    cb(null, body)
  }

  #fail(err: unknown): void {
    if (this.#ended) return
    this.#end(this.#opts.onError(err), 'error')
  }

  #end(endValue: unknown, reason: EndReason): void {
    if (this.#ended) return
    this.#ended = true
    if (reason !== 'done' || this.#finishWith !== null) this.#closeIterator()
    const cb = this.#pending
    this.#pending = null
    cb?.(endValue as pull.Abort)
    this.#opts.onEnd?.(reason)
  }

  #closeIterator(): void {
    const it = this.#it
    this.#it = null
    if (it === null || typeof it.return !== 'function') return
    try {
      const r = it.return()
      if (isThenable(r)) r.then(undefined, () => {})
    } catch {
      // the iterator's cleanup failed; nothing left to tell the peer
    }
  }
}

/// <reference path="./muxrpc.d.ts" />
import type { Muxrpc } from 'muxrpc'
import type pull from 'pull-stream'
import type { CallTracker, StreamClaim } from './call-tracker.js'
import { endToError, RpcError, toWireError, wireError } from './errors.js'
import { IterableSource } from './iterable-source.js'
import { PullIterator } from './pull-iterator.js'
import type { CallOptions, Streamable } from './types.js'

const MAX_REQUEST_NUMBER = 0x7fffffff

export interface OutboundDeps {
  mux: () => Muxrpc
  tracker: CallTracker
  gate: () => Promise<void> | null
  /** RPC_CLOSED if no new call may start. */
  refuse: () => RpcError | null
}

interface Stoppable {
  stop(): void
}

function toPath(name: string | string[]): string[] {
  const path = typeof name === 'string' ? name.split('.') : [...name]
  if (path.length === 0 || path.some((s) => typeof s !== 'string' || s === '')) {
    throw new RpcError('RPC_BAD_ARGS', `invalid method name: ${JSON.stringify(name)}`)
  }
  return path
}

function checkArgs(args: unknown): unknown[] {
  if (!Array.isArray(args)) throw new RpcError('RPC_BAD_ARGS', 'args must be an array')
  try {
    JSON.stringify(args)
  } catch (err) {
    throw new RpcError('RPC_BAD_ARGS', `args are not JSON-serialisable: ${(err as Error).message}`, { cause: err })
  }
  return args
}

function aborted(signal: AbortSignal): RpcError {
  return new RpcError('RPC_ABORTED', 'the call was aborted', { cause: signal.reason })
}

/** An iterator that fails at once (for calls refused before they start). */
function failed(err: unknown): AsyncIterableIterator<unknown> {
  const it = new PullIterator(null)
  it.terminate(err)
  return it
}

/** Our calls to the peer. Request numbers mirror packet-stream's counter (one per request or stream). */
export class OutboundCalls {
  #nextReq = 1
  readonly #open = new Set<Stoppable>()
  readonly #deps: OutboundDeps

  constructor(deps: OutboundDeps) {
    this.#deps = deps
  }

  /** End every stream we opened (graceful close). */
  stopAll(): void {
    for (const s of [...this.#open]) s.stop()
  }

  #prepare(name: string | string[], args: unknown, opts: CallOptions): string[] {
    const path = toPath(name)
    checkArgs(args)
    const refused = this.#deps.refuse()
    if (refused !== null) throw refused
    // packet-stream numbers requests with a signed int32 and never wraps
    if (this.#nextReq > MAX_REQUEST_NUMBER) throw new RpcError('RPC_CLOSED', 'request numbers exhausted on this connection; reconnect')
    if (opts.signal?.aborted === true) throw aborted(opts.signal)
    return path
  }

  call(name: string | string[], args: unknown[] = [], opts: CallOptions = {}): Promise<unknown> {
    let path: string[]
    try {
      path = this.#prepare(name, args, opts)
    } catch (err) {
      return Promise.reject(err)
    }
    return new Promise((resolve, reject) => {
      const req = this.#nextReq++
      this.#deps.tracker.openOutboundRequest(req)
      const signal = opts.signal
      let settled = false
      const onAbort = (): void => settle(aborted(signal!))
      const settle = (err: unknown, value?: unknown): void => {
        if (settled) return
        settled = true
        signal?.removeEventListener('abort', onAbort)
        if (err !== null) reject(err)
        else resolve(value)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#deps.mux().stream.remoteCall('async', path, args, (err, value) => {
        if (err) settle(endToError(err))
        else settle(null, value)
      })
    })
  }

  source(name: string | string[], args: unknown[] = [], opts: CallOptions = {}): AsyncIterableIterator<unknown> {
    let path: string[]
    try {
      path = this.#prepare(name, args, opts)
    } catch (err) {
      return failed(err)
    }
    const req = this.#nextReq++
    this.#deps.tracker.openOutboundStream(req, null)
    const read = this.#deps.mux().stream.remoteCall('source', path, args, () => {}) as pull.Source<unknown>
    const handle: Stoppable = { stop: () => void it.return() }
    const it = new PullIterator(read, { signal: opts.signal, onFinish: () => this.#open.delete(handle) })
    this.#open.add(handle)
    return it
  }

  sink(name: string | string[], args: unknown[], input: Streamable, opts: CallOptions = {}): Promise<void> {
    let path: string[]
    try {
      path = this.#prepare(name, args, opts)
    } catch (err) {
      return Promise.reject(err)
    }
    return new Promise<void>((resolve, reject) => {
      const req = this.#nextReq++
      const signal = opts.signal
      let localErr: unknown
      let settled = false
      const handle: Stoppable = { stop: () => sending.finish(wireError('RpcError', 'connection closing')) }
      const onAbort = (): void => {
        localErr = aborted(signal!)
        sending.finish(wireError('RpcError', 'aborted'))
        settle(localErr)
      }
      const settle = (err?: unknown): void => {
        if (settled) return
        settled = true
        this.#open.delete(handle)
        signal?.removeEventListener('abort', onAbort)
        if (err === undefined) resolve()
        else reject(err)
      }
      // The peer's END is the answer: `true` once it has taken everything, or its error.
      const claim: StreamClaim = {
        holdEnd: false,
        onPeerEnd: (value) => settle(value === true ? undefined : (localErr ?? endToError(value))),
      }
      this.#deps.tracker.openOutboundStream(req, claim)
      const s = this.#deps.mux().stream.remoteCall('sink', path, args, (err) => {
        if (err) settle(localErr ?? endToError(err))
      }) as pull.Sink<unknown>
      const sending = new IterableSource(input, {
        gate: this.#deps.gate,
        onError: (err) => {
          localErr = err
          return toWireError(err)
        },
        onEnd: (reason) => {
          if (reason === 'error' && localErr !== undefined) settle(localErr)
        },
      })
      this.#open.add(handle)
      signal?.addEventListener('abort', onAbort, { once: true })
      s(sending.source)
    })
  }

  duplex(name: string | string[], args: unknown[], input: Streamable, opts: CallOptions = {}): AsyncIterableIterator<unknown> {
    let path: string[]
    try {
      path = this.#prepare(name, args, opts)
    } catch (err) {
      return failed(err)
    }
    const req = this.#nextReq++
    let localErr: unknown
    let peerEnded = false
    const handle: Stoppable = { stop: () => void output.return() }
    const output = new PullIterator(null, { signal: opts.signal, onFinish: () => this.#open.delete(handle) })
    const claim: StreamClaim = {
      holdEnd: true,
      // muxrpc semantics: either side's END ends the whole duplex.
      onPeerEnd: (value, delivered) => {
        if (value !== true) return
        peerEnded = true
        output.endAfter(delivered)
        sending.finish()
      },
    }
    this.#deps.tracker.openOutboundStream(req, claim)
    const d = this.#deps.mux().stream.remoteCall('duplex', path, args, () => {}) as pull.Duplex<unknown, unknown>
    const sending = new IterableSource(input, {
      gate: this.#deps.gate,
      onError: (err) => {
        localErr = err
        return toWireError(err)
      },
      onEnd: (reason) => {
        // Once our END is out, muxrpc stops delivering to us: finish the output too.
        if (reason !== 'aborted' && !peerEnded) output.terminate(localErr)
        this.#deps.tracker.release(true, req)
      },
    })
    this.#open.add(handle)
    d.sink(sending.source)
    output.setSource(d.source)
    return output
  }
}

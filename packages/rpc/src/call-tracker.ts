import { GOODBYE, MAX_OPEN_CALLS, MAX_REJECTED_STREAMS } from './constants.js'
import { RpcError, sanitizeErrorBody, toWireError, wireError } from './errors.js'
import type { Frame, Goodbye } from './frame-codec.js'
import type { Logger } from './types.js'

/**
 * An adapter's interest in how the peer ends one stream. While `holdEnd` is true the peer's
 * `END true` is kept from muxrpc until `release()`: muxrpc would otherwise end our sending half
 * without an END of its own (duplex) or answer before our handler finished (sink).
 */
export interface StreamClaim {
  holdEnd: boolean
  /** The peer ended its half after `delivered` data frames (value: true or an error body). */
  onPeerEnd(value: unknown, delivered: number): void
}

interface StreamState {
  inEnded: boolean
  outEnded: boolean
  /** Data frames from the peer passed on to muxrpc. */
  delivered: number
  claim: StreamClaim | null
  held: Frame | null
}

export interface TrackerHooks {
  /** Write a frame straight to the transport (replies muxrpc never sees). */
  inject(frame: Frame): void
  /** Hand a held frame back to the inbound queue, ahead of everything else. */
  redeliver(frame: Frame): void
  fatal(err: RpcError): void
  logger: Logger
}

export interface TrackerLimits {
  maxOpenCalls: number
  maxRejectedStreams: number
}

function isRequestBody(v: unknown): v is { name: unknown; args: unknown[]; type?: unknown } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const { name, args } = v as { name?: unknown; args?: unknown }
  const nameOk = typeof name === 'string' || (Array.isArray(name) && name.length > 0 && name.every((s) => typeof s === 'string'))
  return nameOk && Array.isArray(args)
}

/**
 * Frame-level bookkeeping in front of muxrpc: every frame in both directions passes through here.
 * It bounds the calls a peer can keep open, answers malformed or excess requests itself, drops
 * frames muxrpc would mishandle (stray replies, frames after END), and strips stacks from every
 * error body we send.
 */
export class CallTracker {
  readonly #inAsync = new Set<number>()
  readonly #outAsync = new Set<number>()
  readonly #inStreams = new Map<number, StreamState>()
  readonly #outStreams = new Map<number, StreamState>()
  readonly #rejected = new Set<number>()
  readonly #released = new WeakSet<Frame>()
  readonly #hooks: TrackerHooks
  readonly #limits: TrackerLimits
  #idleWaiters: Array<() => void> = []
  /** Request number of the incoming call muxrpc is dispatching right now (read synchronously by handlers). */
  deliveringReq = 0

  constructor(hooks: TrackerHooks, limits: Partial<TrackerLimits> = {}) {
    this.#hooks = hooks
    this.#limits = {
      maxOpenCalls: limits.maxOpenCalls ?? MAX_OPEN_CALLS,
      maxRejectedStreams: limits.maxRejectedStreams ?? MAX_REJECTED_STREAMS,
    }
  }

  get inboundOpen(): number {
    return this.#inAsync.size + this.#inStreams.size
  }

  get outboundOpen(): number {
    return this.#outAsync.size + this.#outStreams.size
  }

  /** Decide whether a frame from the peer goes on to muxrpc. */
  inbound(f: Frame | Goodbye): boolean {
    this.deliveringReq = 0
    if (f === GOODBYE) return true
    if (this.#released.has(f)) {
      this.#released.delete(f)
      return true
    }
    if (f.req === 0) return this.#drop('one-way message', f)
    if (f.req > 0) return f.stream ? this.#inboundStreamFrame(f) : this.#inboundRequest(f)
    const rid = -f.req
    if (!f.stream) {
      if (this.#outAsync.delete(rid)) {
        this.#notifyIdle()
        return true
      }
      return this.#drop('reply to no pending request', f)
    }
    const st = this.#outStreams.get(rid)
    if (st === undefined || st.inEnded) return this.#drop('frame for no open stream', f)
    return this.#streamFrame(st, f, this.#outStreams, rid)
  }

  #inboundRequest(f: Frame): boolean {
    if (!isRequestBody(f.value)) {
      this.#hooks.inject(errorFrame(-f.req, false, 'RPC_BAD_REQUEST', 'invalid request: expected {name, args: []}'))
      return false
    }
    if (this.#inAsync.has(f.req)) return this.#drop('duplicate request number', f)
    if (this.inboundOpen >= this.#limits.maxOpenCalls) {
      this.#hooks.inject(errorFrame(-f.req, false, 'RPC_TOO_MANY_CALLS', tooMany(this.#limits.maxOpenCalls)))
      return false
    }
    this.#inAsync.add(f.req)
    this.deliveringReq = f.req
    return true
  }

  #inboundStreamFrame(f: Frame): boolean {
    const st = this.#inStreams.get(f.req)
    if (st !== undefined) {
      if (st.inEnded) return this.#drop('frame after END', f)
      return this.#streamFrame(st, f, this.#inStreams, f.req)
    }
    if (this.#rejected.has(f.req)) {
      if (f.end) this.#rejected.delete(f.req)
      return false
    }
    // A new incoming stream. An END first would make muxrpc destructure a non-request.
    if (f.end) return this.#drop('END for a stream never opened', f)
    if (!isRequestBody(f.value)) return this.#reject(f.req, 'RPC_BAD_REQUEST', 'invalid request: expected {name, args: [], type}')
    const type = f.value.type
    if (type !== 'source' && type !== 'sink' && type !== 'duplex') {
      // muxrpc answers this too, but leaves the substream without a reader for later frames.
      return this.#reject(f.req, null, `unsupported stream type: ${String(type)}`)
    }
    if (this.inboundOpen >= this.#limits.maxOpenCalls) {
      return this.#reject(f.req, 'RPC_TOO_MANY_CALLS', tooMany(this.#limits.maxOpenCalls))
    }
    this.#inStreams.set(f.req, { inEnded: false, outEnded: false, delivered: 0, claim: null, held: null })
    this.deliveringReq = f.req
    return true
  }

  #streamFrame(st: StreamState, f: Frame, map: Map<number, StreamState>, key: number): boolean {
    if (!f.end) {
      st.delivered++
      return true
    }
    // packet-stream treats a falsy END body as data; JS peers only send `true` or an error.
    if (!f.value) f.value = true
    st.inEnded = true
    const claim = st.claim
    if (claim !== null) {
      if (claim.holdEnd && f.value === true) {
        st.held = f
        claim.onPeerEnd(f.value, st.delivered)
        return false
      }
      st.claim = null
      claim.onPeerEnd(f.value, st.delivered)
    }
    this.#maybeDone(st, map, key)
    return true
  }

  /** Refuse a new incoming stream; `code` null sends muxrpc's plain `Error`. */
  #reject(req: number, code: 'RPC_BAD_REQUEST' | 'RPC_TOO_MANY_CALLS' | null, message: string): boolean {
    if (this.#rejected.size >= this.#limits.maxRejectedStreams) {
      this.#hooks.fatal(new RpcError('RPC_TOO_MANY_CALLS', `peer left ${this.#rejected.size} rejected streams open`))
      return false
    }
    this.#rejected.add(req)
    this.#hooks.inject(code === null ? { req: -req, stream: true, end: true, value: wireError('Error', message) } : errorFrame(-req, true, code, message))
    return false
  }

  #drop(why: string, f: Frame): false {
    this.#hooks.logger.debug('rpc: dropped frame', { why, req: f.req, stream: f.stream, end: f.end })
    return false
  }

  /** Observe a frame on its way out; returns it with any error body stripped of its stack. */
  outbound(f: Frame): Frame {
    if (f.end && f.value !== true) f = { ...f, value: sanitizeErrorBody(f.value) }
    if (f.req > 0) {
      if (f.stream && f.end) {
        const st = this.#outStreams.get(f.req)
        if (st !== undefined) {
          st.outEnded = true
          this.#maybeDone(st, this.#outStreams, f.req)
        }
      }
    } else if (f.req < 0) {
      const rid = -f.req
      if (!f.stream) {
        if (this.#inAsync.delete(rid)) this.#notifyIdle()
      } else if (f.end) {
        const st = this.#inStreams.get(rid)
        if (st !== undefined) {
          st.outEnded = true
          this.#maybeDone(st, this.#inStreams, rid)
        }
      }
    }
    return f
  }

  openOutboundRequest(req: number): void {
    this.#outAsync.add(req)
  }

  openOutboundStream(req: number, claim: StreamClaim | null): void {
    this.#outStreams.set(req, { inEnded: false, outEnded: false, delivered: 0, claim, held: null })
  }

  claimInbound(req: number, claim: StreamClaim): void {
    const st = this.#inStreams.get(req)
    if (st !== undefined) st.claim = claim
  }

  /** Our sending half is done: pass a held peer END on to muxrpc so it can free the substream. */
  release(outbound: boolean, req: number): void {
    const st = (outbound ? this.#outStreams : this.#inStreams).get(req)
    if (st === undefined) return
    if (st.claim !== null) st.claim.holdEnd = false
    st.claim = null
    const held = st.held
    if (held === null) return
    st.held = null
    this.#released.add(held)
    this.#hooks.redeliver(held)
    this.#maybeDone(st, outbound ? this.#outStreams : this.#inStreams, req)
  }

  #maybeDone(st: StreamState, map: Map<number, StreamState>, key: number): void {
    if (st.inEnded && st.outEnded && st.held === null) {
      map.delete(key)
    }
    this.#notifyIdle()
  }

  /** No pending requests either way, and we have sent END on every stream. */
  get idle(): boolean {
    if (this.#inAsync.size > 0 || this.#outAsync.size > 0) return false
    for (const st of this.#inStreams.values()) if (!st.outEnded) return false
    for (const st of this.#outStreams.values()) if (!st.outEnded) return false
    return true
  }

  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  #notifyIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.idle) return
    const waiters = this.#idleWaiters
    this.#idleWaiters = []
    for (const w of waiters) w()
  }
}

function tooMany(max: number): string {
  return `too many open calls on this connection (max ${max})`
}

function errorFrame(replyReq: number, stream: boolean, code: string, message: string): Frame {
  const err = new RpcError(code, message, { expose: true })
  return { req: replyReq, stream, end: true, value: toWireError(err) }
}

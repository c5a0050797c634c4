/// <reference path="./muxrpc.d.ts" />
import createMuxrpc, { type Muxrpc } from 'muxrpc'
import type pull from 'pull-stream'
import { CallTracker } from './call-tracker.js'
import { CLOSE_TIMEOUT_MS, MAX_FRAME_BODY, MAX_OPEN_CALLS, OUTBOUND_HIGH_WATER_BYTES } from './constants.js'
import { RpcError } from './errors.js'
import type { Frame, Goodbye } from './frame-codec.js'
import { buildLocalApi, type ActiveCall } from './local-api.js'
import { OutboundCalls } from './outbound-calls.js'
import { compilePermissions } from './permissions.js'
import { buildRemoteApi } from './remote-api.js'
import { Transport } from './transport.js'
import type { CallContext, CallOptions, Logger, RemoteApi, RpcConnection, RpcDeps, RpcOptions, RpcStats, Streamable } from './types.js'

const noop = (): void => {}
const NOOP_LOGGER: Logger = { error: noop, warn: noop, info: noop, debug: noop, child: () => NOOP_LOGGER }

/**
 * Runs muxrpc over a plaintext byte stream. Both peers are caller and server at once
 * (protocol.md §6.4); `manifest`/`api` is what we serve, `remote` what we call.
 */
export function createRpc(deps: RpcDeps, opts: RpcOptions): RpcConnection {
  return new Connection(deps, opts)
}

class Connection implements RpcConnection {
  readonly context: CallContext
  readonly remote: RemoteApi
  readonly #logger: Logger
  readonly #tracker: CallTracker
  readonly #transport: Transport
  readonly #mux: Muxrpc
  readonly #outbound: OutboundCalls
  readonly #active = new Set<ActiveCall>()
  readonly #closeTimeoutMs: number
  #closing = false
  #closed = false
  #transportDone = false
  #fatalError: RpcError | undefined
  #closeError: RpcError | undefined
  #hungUpWithOpenCalls = false
  #timers: Array<ReturnType<typeof setTimeout>> = []
  #resolveClosed!: (err: RpcError | undefined) => void
  readonly #closedPromise = new Promise<RpcError | undefined>((resolve) => {
    this.#resolveClosed = resolve
  })

  constructor(deps: RpcDeps, opts: RpcOptions) {
    this.context = opts.context
    this.#logger = (deps.logger ?? NOOP_LOGGER).child({ component: 'rpc', remoteId: opts.context.remoteId })
    this.#closeTimeoutMs = opts.closeTimeoutMs ?? CLOSE_TIMEOUT_MS
    this.#tracker = new CallTracker(
      {
        inject: (f) => this.#transport.inject(f),
        redeliver: (f) => this.#transport.redeliver(f),
        fatal: (err) => this.#fatal(err),
        logger: this.#logger,
      },
      { maxOpenCalls: opts.maxOpenCalls ?? MAX_OPEN_CALLS },
    )
    const gate = (): Promise<void> | null => this.#transport.gate()
    const local = buildLocalApi(opts.manifest, deps.api ?? {}, {
      tracker: this.#tracker,
      gate,
      logger: this.#logger,
      context: opts.context,
      connection: () => this,
      isClosed: () => this.#closed,
      track: (call) => {
        this.#active.add(call)
        return () => this.#active.delete(call)
      },
    })
    // Our transport does the framing, so muxrpc's codec is the identity.
    this.#mux = createMuxrpc({}, local.manifest, local.api, compilePermissions(opts.permissions), (s) => s)
    this.#mux.on('closed', () => this.#onMuxClosed())
    this.#outbound = new OutboundCalls({
      mux: () => this.#mux,
      tracker: this.#tracker,
      gate,
      refuse: () => (this.#closing || this.#closed ? new RpcError('RPC_CLOSED', 'connection is closed') : null),
    })
    this.#transport = new Transport(deps.stream, this.#tracker, {
      maxFrameBytes: opts.maxFrameBytes ?? MAX_FRAME_BODY,
      highWaterBytes: opts.outboundHighWaterBytes ?? OUTBOUND_HIGH_WATER_BYTES,
      fatal: (err) => this.#fatal(err),
      onInboundEnd: (goodbye) => {
        if (!goodbye && this.#tracker.inboundOpen + this.#tracker.outboundOpen > 0) this.#hungUpWithOpenCalls = true
      },
      onFinished: () => {
        this.#transportDone = true
        this.#maybeResolve()
      },
    })
    this.#mux.stream.sink(this.#transport.inbound as pull.Source<unknown>)
    this.#transport.start(this.#mux.stream.source as pull.Source<Frame | Goodbye>)
    this.remote = buildRemoteApi(opts.remoteManifest ?? opts.manifest, this)
    if (opts.inactivityTimeoutMs !== undefined && opts.inactivityTimeoutMs > 0) this.#watchInactivity(opts.inactivityTimeoutMs)
  }

  get closed(): boolean {
    return this.#closed
  }

  call(name: string | string[], args?: unknown[], opts?: CallOptions): Promise<unknown> {
    return this.#outbound.call(name, args, opts)
  }

  source(name: string | string[], args?: unknown[], opts?: CallOptions): AsyncIterable<unknown> {
    return this.#outbound.source(name, args, opts)
  }

  sink(name: string | string[], args: unknown[], input: Streamable, opts?: CallOptions): Promise<void> {
    return this.#outbound.sink(name, args, input, opts)
  }

  duplex(name: string | string[], args: unknown[], input: Streamable, opts?: CallOptions): AsyncIterable<unknown> {
    return this.#outbound.duplex(name, args, input, opts)
  }

  whenClosed(): Promise<RpcError | undefined> {
    return this.#closedPromise
  }

  stats(): RpcStats {
    return {
      inboundOpen: this.#tracker.inboundOpen,
      outboundOpen: this.#tracker.outboundOpen,
      queuedBytes: this.#transport.queuedBytes,
      outboundPaused: this.#transport.paused,
    }
  }

  async close(err?: Error): Promise<void> {
    if (err !== undefined) {
      this.#fatal(err instanceof RpcError ? err : new RpcError('RPC_CLOSED', err.message, { cause: err }))
      await this.#closedPromise
      return
    }
    if (this.#closing || this.#closed) {
      await this.#closedPromise
      return
    }
    this.#closing = true
    this.#outbound.stopAll()
    for (const call of [...this.#active]) call.terminate()
    await new Promise<void>((resolve) => {
      this.#tracker.whenIdle().then(resolve, resolve)
      this.#timer(resolve)
      // The connection may finish closing meanwhile (peer hung up); that clears our timer.
      void this.#closedPromise.then(() => resolve())
    })
    // destroy(true) sends the goodbye; calls still open now fail with "unexpected end of parent stream".
    if (!this.#closed) this.#mux.close(true)
    await this.#closedPromise
  }

  #fatal(err: RpcError): void {
    if (this.#fatalError !== undefined || this.#transportDone) return
    this.#fatalError = err
    this.#logger.warn('rpc: connection dropped', { code: err.code, message: err.message })
    this.#transport.destroy()
    this.#transportDone = true
    if (!this.#closed) this.#mux.close(err)
    this.#maybeResolve()
  }

  #onMuxClosed(): void {
    if (this.#closed) return
    this.#closed = true
    for (const call of [...this.#active]) call.abort()
    this.#active.clear()
    this.#closeError =
      this.#fatalError ?? (this.#hungUpWithOpenCalls ? new RpcError('RPC_CLOSED', 'unexpected end of parent stream') : undefined)
    if (!this.#transportDone) {
      // The peer has this long to answer our goodbye.
      this.#timer(() => {
        if (this.#transportDone) return
        this.#closeError ??= new RpcError('RPC_CLOSE_TIMEOUT', 'the peer did not finish the goodbye exchange')
        this.#transport.destroy()
        this.#transportDone = true
        this.#maybeResolve()
      })
    }
    this.#maybeResolve()
  }

  #maybeResolve(): void {
    if (!this.#closed || !this.#transportDone) return
    for (const t of this.#timers) clearTimeout(t)
    this.#timers = []
    this.#resolveClosed(this.#closeError ?? this.#fatalError)
  }

  #timer(fn: () => void, ms = this.#closeTimeoutMs): void {
    const t = setTimeout(() => {
      this.#timers = this.#timers.filter((x) => x !== t)
      fn()
    }, ms)
    t.unref?.()
    this.#timers.push(t)
  }

  #watchInactivity(timeoutMs: number): void {
    const check = (): void => {
      if (this.#closed || this.#transportDone) return
      const idleMs = Date.now() - this.#transport.lastActivity
      if (idleMs >= timeoutMs) {
        this.#fatal(new RpcError('RPC_INACTIVE', `no traffic for ${idleMs} ms`))
        return
      }
      this.#timer(check, timeoutMs - idleMs)
    }
    this.#timer(check, timeoutMs)
  }
}

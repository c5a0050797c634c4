import type { Duplex } from 'node:stream'
import type { RpcError } from './errors.js'

export type CallType = 'async' | 'sync' | 'source' | 'sink' | 'duplex'

/** Method types by name; nested objects are namespaces (`{ blobs: { get: 'source' } }`). */
export interface Manifest {
  [name: string]: CallType | Manifest
}

/** Who is on the other end of the connection (set by the layer that authenticated it). */
export interface CallContext {
  /** The peer's feed id (`@….ed25519`). */
  remoteId: string
  /** The peer is our own id or a configured master: the app decides what that allows. */
  isMaster?: boolean
}

/** What a handler learns about the call it is serving. */
export interface CallInfo extends CallContext {
  name: string[]
  type: CallType
  /** Aborted when the peer ends the stream or the connection closes. */
  signal: AbortSignal
  /** The connection the call arrived on (to call the peer back). */
  connection: RpcConnection
}

export type Streamable = AsyncIterable<unknown> | Iterable<unknown>

/**
 * Every handler gets the call's arguments and a CallInfo; `sink` and `duplex` handlers also
 * get the peer's items as `input` (other types are called without it). What to return:
 * - `async`/`sync`: the value, or a promise of it; throw (reject) to answer with an error
 * - `source`: an (async) iterable of the items to send, or a promise of one
 * - `sink`: a promise that settles when `input` has been consumed; the peer learns the outcome
 * - `duplex`: an (async) iterable of the items to send
 */
export type Handler = (args: unknown[], call: CallInfo, input: AsyncIterable<unknown>) => unknown
export type AsyncHandler = (args: unknown[], call: CallInfo) => unknown
export type SourceHandler = (args: unknown[], call: CallInfo) => Streamable | Promise<Streamable>
export type SinkHandler = (args: unknown[], call: CallInfo, input: AsyncIterable<unknown>) => unknown
export type DuplexHandler = (args: unknown[], call: CallInfo, input: AsyncIterable<unknown>) => Streamable | Promise<Streamable>

/** Handlers laid out like the manifest. */
export interface Api {
  [name: string]: Handler | Api
}

/**
 * Allow/deny lists of dotted method names (`'blobs.get'`); a namespace (`'blobs'`) covers
 * every method under it. `allow: null`/absent allows everything not denied.
 */
export interface Permissions {
  allow?: string[] | null
  deny?: string[] | null
}
/** Return true to let the call through. */
export type PermissionCheck = (name: string[]) => boolean

type LogFn = (msg: string, ctx?: object) => void
export interface Logger {
  error: LogFn
  warn: LogFn
  info: LogFn
  debug: LogFn
  child(bindings: object): Logger
}

export interface RpcDeps {
  /** Plaintext byte stream to the peer (e.g. a box-stream duplex, or a plain socket in tests). */
  stream: Duplex
  /** Handlers for the local manifest; omit for a connection that only calls. */
  api?: Api
  logger?: Logger
}

export interface RpcOptions {
  /** Methods we serve. */
  manifest: Manifest
  /** Methods the peer serves, used to build `remote`; defaults to `manifest` (SSB peers assume symmetry). */
  remoteManifest?: Manifest
  context: CallContext
  /** Which incoming calls are allowed; default everything in `manifest`. */
  permissions?: Permissions | PermissionCheck
  /** Largest frame body accepted from the peer (default MAX_FRAME_BODY). */
  maxFrameBytes?: number
  /** Incoming requests and streams open at once before further calls get an error (default MAX_OPEN_CALLS). */
  maxOpenCalls?: number
  /** Bytes queued for the transport before stream producers wait for it to drain (default OUTBOUND_HIGH_WATER_BYTES). */
  outboundHighWaterBytes?: number
  /** Close the connection after this long without bytes in either direction; off by default. */
  inactivityTimeoutMs?: number
  /** How long `close()` waits for open calls, and then for the peer's goodbye (default CLOSE_TIMEOUT_MS). */
  closeTimeoutMs?: number
}

export interface CallOptions {
  signal?: AbortSignal
}

/**
 * Built from the remote manifest: async/sync → `(...args) => Promise`, source →
 * `(...args) => AsyncIterable`, sink → `(...args) => (input) => Promise<void>`,
 * duplex → `(...args) => (input) => AsyncIterable`; namespaces are nested objects.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RemoteApi = { [name: string]: any }

export interface RpcStats {
  /** Incoming requests and streams not yet finished. */
  inboundOpen: number
  /** Our requests and streams not yet finished. */
  outboundOpen: number
  /** Bytes handed to the transport and not yet flushed by it. */
  queuedBytes: number
  /** True while stream producers wait for the transport to drain. */
  outboundPaused: boolean
}

export interface RpcConnection {
  readonly context: CallContext
  /** `name` is a path or a dotted string (`'blobs.has'`). */
  call(name: string | string[], args?: unknown[], opts?: CallOptions): Promise<unknown>
  source(name: string | string[], args?: unknown[], opts?: CallOptions): AsyncIterable<unknown>
  sink(name: string | string[], args: unknown[], input: Streamable, opts?: CallOptions): Promise<void>
  duplex(name: string | string[], args: unknown[], input: Streamable, opts?: CallOptions): AsyncIterable<unknown>
  readonly remote: RemoteApi
  /** Without `err`: end our streams, wait for pending replies, exchange goodbyes, end the transport.
   *  With `err`: drop the connection now; open calls fail with RPC_CLOSED. */
  close(err?: Error): Promise<void>
  readonly closed: boolean
  /** Resolves once closed: with the error that closed it, or undefined after a clean close. */
  whenClosed(): Promise<RpcError | undefined>
  stats(): RpcStats
}

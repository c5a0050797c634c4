export type RpcErrorCode =
  /** A frame header announced a body larger than maxFrameBytes; the connection is closed. */
  | 'RPC_FRAME_TOO_LARGE'
  /** Undecodable frame (unknown body type, bad JSON); the connection is closed. */
  | 'RPC_BAD_FRAME'
  /** The connection closed (or was closing) before the call finished. */
  | 'RPC_CLOSED'
  /** The peer answered with an error; `message` and `remoteName` are the peer's. */
  | 'RPC_REMOTE_ERROR'
  /** The caller's AbortSignal fired. */
  | 'RPC_ABORTED'
  /** Too many incoming calls open at once (sent to the peer as an error reply). */
  | 'RPC_TOO_MANY_CALLS'
  /** A malformed request from the peer (sent to the peer as an error reply). */
  | 'RPC_BAD_REQUEST'
  /** Arguments or values that cannot be sent (not JSON-serialisable). */
  | 'RPC_BAD_ARGS'
  /** createRpc got a manifest/api that do not match. */
  | 'RPC_BAD_API'
  /** No bytes for inactivityTimeoutMs; the connection is closed. */
  | 'RPC_INACTIVE'
  /** The peer did not finish the goodbye exchange within closeTimeoutMs. */
  | 'RPC_CLOSE_TIMEOUT'
  /** The transport failed or closed without an end. */
  | 'RPC_TRANSPORT'

export interface RpcErrorOptions extends ErrorOptions {
  /** Safe to send to the peer as `{ name, message }`. */
  expose?: boolean
  /** For RPC_REMOTE_ERROR: the `name` the peer sent. */
  remoteName?: string
}

export class RpcError extends Error {
  override name = 'RpcError'
  /** Send `{ name, message }` to the peer when this error answers one of its calls. */
  expose: boolean
  readonly remoteName: string | undefined
  constructor(
    /** One of RpcErrorCode for errors from this package; apps may use their own codes. */
    readonly code: RpcErrorCode | (string & {}),
    message: string,
    options: RpcErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.expose = options.expose ?? false
    this.remoteName = options.remoteName
  }
}

/** The body of an error frame. `stack` carries no frames: JS peers' explain-error expects one to exist. */
export interface WireError {
  message: string
  name: string
  stack: string
}

export function wireError(name: string, message: string): WireError {
  return { message, name, stack: `${name}: ${message}` }
}

export const INTERNAL_ERROR: WireError = Object.freeze(wireError('Error', 'internal error'))

/** Only errors marked `expose: true` keep their name and message; everything else is generic. */
export function toWireError(err: unknown): WireError {
  if (err instanceof Error && (err as { expose?: unknown }).expose === true) {
    return wireError(err.name, err.message)
  }
  return INTERNAL_ERROR
}

export function isWireErrorLike(v: unknown): v is { message?: unknown; name?: unknown } {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array)
}

/** Strips whatever stack a muxrpc-produced error body carries before it leaves the process. */
export function sanitizeErrorBody(v: unknown): unknown {
  if (v === true || !isWireErrorLike(v)) return v
  const message = typeof v.message === 'string' ? v.message : 'error'
  const name = typeof v.name === 'string' ? v.name : 'Error'
  return wireError(name, message)
}

/** An END value from pull-weird/packet-stream, as seen by a local caller. */
export function endToError(end: unknown): RpcError {
  if (end instanceof RpcError) {
    if (end.code === 'RPC_CLOSED' || end.code === 'RPC_ABORTED' || end.code === 'RPC_REMOTE_ERROR') return end
    return new RpcError('RPC_CLOSED', `connection closed: ${end.message}`, { cause: end })
  }
  if (end instanceof Error) {
    // packet-stream's own errors: 'unexpected end of parent stream', 'parent stream is closing'
    return new RpcError('RPC_CLOSED', end.message, { cause: end })
  }
  if (isWireErrorLike(end)) {
    const message = typeof end.message === 'string' ? end.message : 'remote error'
    const remoteName = typeof end.name === 'string' ? end.name : 'Error'
    return new RpcError('RPC_REMOTE_ERROR', message, { remoteName })
  }
  return new RpcError('RPC_REMOTE_ERROR', String(end))
}

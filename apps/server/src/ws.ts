// The WebSocket transport of ssb-ws 6 / multiserver 3 (`plugins/ws.js`): binary frames carry the
// same SHS + box-stream bytes a TCP socket would, so browsers can be peers and clients. The same
// HTTP port serves blobs at `/blobs/get/<id>` like ssb-ws's multiblob-http handler.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http'
import { Duplex, Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { isBlobId } from '@ssb/keys'
import type { BlobStore } from '@ssb/blobs'
import WebSocket, { WebSocketServer } from 'ws'
import { dialTargets } from './address.js'

/** ssb-config's default `ws.port`. */
export const DEFAULT_WS_PORT = 8989
/**
 * Largest WebSocket message we accept. JS peers send one box (≤ 4096 + 34 bytes) or one
 * handshake message per frame, so this leaves ample room while bounding what a peer can make us
 * buffer.
 */
export const DEFAULT_WS_MAX_PAYLOAD = 256 * 1024
/** Our outgoing writes are cut into frames of at most this size, below any peer's maxPayload. */
export const WS_MAX_OUTGOING_FRAME = 64 * 1024
/** Plain HTTP requests (blob downloads) allowed at once besides peer sockets. */
export const WS_MAX_HTTP_SOCKETS = 64
/** A peer that sends a text frame is closed with this code (RFC 6455 "unsupported data"). */
export const WS_CLOSE_UNSUPPORTED = 1003
/** How long a peer gets to answer our close frame before its socket is cut. */
export const WS_CLOSE_GRACE_MS = 5_000

const ALL_SCOPES = ['device', 'local', 'public']

export interface WsListenSpec {
  kind: 'ws'
  host: string | undefined
  port: number
  scopes: string[]
}

interface WsConfigLike {
  host?: unknown
  port?: unknown
  ws?: unknown
  connections?: { incoming?: { ws?: unknown } }
}

function toPort(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new TypeError(`ws: invalid port ${JSON.stringify(value)}`)
  return n
}

function scopesOf(scope: unknown): string[] {
  if (scope === undefined) return [...ALL_SCOPES]
  return ([] as unknown[]).concat(scope).filter((s): s is string => typeof s === 'string')
}

/**
 * Where to listen for WebSockets, read like ssb-config + ssb-ws: `connections.incoming.ws`
 * entries (`{host, port, scope}`) when there are any, else `ws: {port, host}` (port default
 * 8989, host default the server's `host`). Without either (or with `ws: false`) there is no
 * WebSocket listener: a bare `Server({path})` config has not been through ssb-config.
 */
export function wsListenSpecs(config: WsConfigLike): WsListenSpec[] {
  const ws = config.ws
  if (ws === false) return []
  const wsObj = typeof ws === 'object' && ws !== null ? (ws as { host?: unknown; port?: unknown; scope?: unknown }) : undefined
  const defaultPort = toPort(wsObj?.port, DEFAULT_WS_PORT)
  const entries = config.connections?.incoming?.ws
  if (Array.isArray(entries) && entries.length > 0) {
    return entries.map((e: unknown) => {
      const entry = (typeof e === 'object' && e !== null ? e : {}) as { host?: unknown; port?: unknown; scope?: unknown }
      return {
        kind: 'ws' as const,
        host: typeof entry.host === 'string' ? entry.host : undefined,
        port: toPort(entry.port, defaultPort),
        scopes: scopesOf(entry.scope),
      }
    })
  }
  if (!wsObj) return []
  const host = typeof wsObj.host === 'string' ? wsObj.host : typeof config.host === 'string' ? config.host : undefined
  return [{ kind: 'ws', host, port: defaultPort, scopes: scopesOf(wsObj.scope) }]
}

/** `ws://host:port~shs:key`, formatted like multiserver (URL.format: IPv6 hosts in brackets). */
export function wsAddress(host: string, port: number, publicKeyB64: string): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  return `ws://${h}:${port}~shs:${publicKeyB64}`
}

export interface WsTarget {
  /** `ws://host:port/path` to dial. */
  url: string
  /** The peer's Ed25519 public key. */
  key: Uint8Array
  /** Canonical multiserver form. */
  address: string
}

/**
 * The first `ws://…~shs:key` or `wss://…~shs:key` alternative of an address, or null; parsed by
 * the server's one multiserver parser (`dialTargets`, from @ssb/gossip). `_decodeKey` is kept for
 * the earlier signature: keys are always checked to be canonical base64 of 32 bytes.
 */
export function parseWsAddress(input: unknown, _decodeKey?: (b64: string) => Uint8Array): WsTarget | null {
  const ws = dialTargets(input).find((a) => a.transport === 'ws' || a.transport === 'wss')
  if (!ws) return null
  const host = ws.host.includes(':') && !ws.host.startsWith('[') ? `[${ws.host}]` : ws.host
  const address = ws.seed ? ws.address.slice(0, ws.address.lastIndexOf(':')) : ws.address
  return { url: `${ws.transport}://${host}:${ws.port}${ws.path ?? ''}`, key: ws.publicKey, address }
}

/**
 * A WebSocket as a byte Duplex, so SHS and the box stream run over it unchanged:
 * binary messages are the readable bytes, writes go out as binary frames (≤ WS_MAX_OUTGOING_FRAME).
 * Backpressure pauses the socket. A text frame closes the connection (code 1003) and destroys
 * the stream with an error; so do protocol errors such as an oversized frame (1009, from `ws`).
 * WebSockets have no half-close: ending our side only flushes (the box-stream goodbye is the
 * real end); destroying closes the WebSocket.
 */
export class WebSocketDuplex extends Duplex {
  readonly #ws: WebSocket
  #paused = false
  #closedByPeer = false

  constructor(ws: WebSocket) {
    super({ allowHalfOpen: true })
    this.#ws = ws
    ws.binaryType = 'nodebuffer'
    ws.on('message', this.#onMessage)
    ws.on('close', this.#onClose)
    ws.on('error', this.#onError)
    if (ws.readyState !== WebSocket.OPEN) process.nextTick(() => this.destroy(new Error('websocket is not open')))
  }

  #onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
    if (!isBinary) {
      this.#ws.close(WS_CLOSE_UNSUPPORTED, 'binary frames only')
      this.destroy(new Error('websocket peer sent a text frame'))
      return
    }
    const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
    if (chunk.length === 0) return
    if (!this.push(chunk) && !this.#paused) {
      this.#paused = true
      this.#ws.pause()
    }
  }

  #onClose = (): void => {
    this.#closedByPeer = true
    this.push(null)
    // Bytes still buffered (a goodbye behind backpressure) are delivered before we go.
    if (this.readableLength === 0) this.destroy()
    else this.once('end', () => this.destroy())
  }

  #onError = (err: Error): void => {
    this.destroy(err)
  }

  override _read(): void {
    if (this.#paused) {
      this.#paused = false
      this.#ws.resume()
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return cb(new Error('websocket is closed'))
    let offset = 0
    const sendNext = (err?: Error | null): void => {
      if (err) return cb(err)
      if (offset >= chunk.length) return cb()
      const end = Math.min(offset + WS_MAX_OUTGOING_FRAME, chunk.length)
      const frame = chunk.subarray(offset, end)
      offset = end
      // The send callback fires once the frame is handed to the socket: that is our backpressure.
      this.#ws.send(frame, { binary: true }, sendNext)
    }
    sendNext()
  }

  override _final(cb: (err?: Error | null) => void): void {
    cb()
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const ws = this.#ws
    ws.off('message', this.#onMessage)
    ws.off('close', this.#onClose)
    ws.off('error', this.#onError)
    ws.on('error', noop)
    if (!this.#closedByPeer) {
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate()
      else if (ws.readyState === WebSocket.OPEN) ws.close(err ? 1011 : 1000)
      if (ws.readyState === WebSocket.CLOSING) {
        // A peer that never answers the close frame is cut off.
        const timer = setTimeout(() => ws.terminate(), WS_CLOSE_GRACE_MS)
        timer.unref()
        ws.once('close', () => clearTimeout(timer))
      }
    }
    cb(err)
  }
}

/**
 * The remote end of an upgraded request, named like multiserver's ws plugin (`safeOrigin`):
 * `ws:ip:port`, except that a browser on this machine is named by its Origin header (only
 * trusted from loopback), `ws:null` for an opaque origin.
 */
export function wsRemoteAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress
  const origin = req.headers.origin
  if (!(address === '::1' || address === '127.0.0.1') || origin === undefined) {
    return `ws:${address}${req.socket.remotePort ? `:${req.socket.remotePort}` : ''}`
  }
  if (origin === 'null') return 'ws:null'
  return origin.replace(/^http/, 'ws')
}

const BLOB_PREFIX = '/blobs/get/'
const YEAR_SECONDS = 60 * 60 * 24 * 365

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/**
 * Serves `GET|HEAD /blobs/get/<url-encoded blob id>` like ssb-ws (multiblob-http): 200 with the
 * bytes and long-lived cache headers (the id is the content hash), 304 for a matching
 * `If-None-Match`, 404 when we do not have it, 400 for a malformed id. Blobs are public
 * (anyone may call `blobs.get`), so CORS is open.
 */
export function createBlobHttpHandler(getStore: () => BlobStore | undefined): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handleBlobRequest(getStore, req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: true, status: 500 })
      else res.destroy()
    })
  }
}

async function handleBlobRequest(getStore: () => BlobStore | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const rawUrl = req.url ?? '/'
  const path = rawUrl.split('?')[0]!
  if (!path.startsWith(BLOB_PREFIX)) return sendJson(res, 404, { error: true, status: 404 })
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD')
    return sendJson(res, 405, { error: true, status: 405 })
  }
  let id: string
  try {
    id = decodeURIComponent(path.slice(BLOB_PREFIX.length))
  } catch {
    return sendJson(res, 400, { error: 'malformed blob id encoding', status: 400 })
  }
  if (!isBlobId(id)) return sendJson(res, 400, { error: 'not a blob id (&….sha256)', status: 400 })
  res.setHeader('access-control-allow-origin', '*')
  const store = getStore()
  const size = store ? await store.size(id) : null
  if (!store || size === null) return sendJson(res, 404, { error: true, status: 404 })
  const expires = new Date(Date.now() + YEAR_SECONDS * 1000).toISOString()
  res.setHeader('cache-control', `max-age=${YEAR_SECONDS}`)
  res.setHeader('expires', expires)
  res.setHeader('etag', id)
  if (req.headers['if-none-match'] === id) {
    res.writeHead(304)
    return void res.end()
  }
  res.setHeader('content-type', 'application/octet-stream')
  res.setHeader('content-length', size)
  if (req.method === 'HEAD') {
    res.writeHead(200)
    return void res.end()
  }
  res.writeHead(200)
  const abort = new AbortController()
  res.once('close', () => abort.abort())
  await pipeline(Readable.from(store.get(id, { signal: abort.signal })), res).catch(() => {
    // Headers are out: a truncated body (content-length) tells the client it went wrong.
    res.destroy()
  })
}

/**
 * The HTTP server of a WebSocket listener and its WebSocketServer (upgrades are the caller's to
 * route to `wss.handleUpgrade`): headers and requests that dawdle are cut off like a slow
 * handshake, plain HTTP requests go to `http` (404 JSON without one), and at most `maxSockets`
 * peers plus WS_MAX_HTTP_SOCKETS plain HTTP sockets are accepted.
 */
export function createWsHttpServer(opts: {
  handshakeTimeoutMs: number
  maxSockets: number
  maxPayload: number
  http?: (req: IncomingMessage, res: ServerResponse) => void
}): { server: HttpServer; wss: WebSocketServer } {
  const handshakeMs = Math.max(1000, opts.handshakeTimeoutMs)
  const { http } = opts
  const server = createHttpServer(
    {
      headersTimeout: handshakeMs,
      requestTimeout: handshakeMs * 2,
      connectionsCheckingInterval: Math.min(handshakeMs, 30_000),
    },
    (req, res) => {
      if (http) http(req, res)
      else sendJson(res, 404, { error: true, status: 404 })
    },
  )
  server.maxConnections = opts.maxSockets + WS_MAX_HTTP_SOCKETS
  server.keepAliveTimeout = 5_000
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload, perMessageDeflate: false, clientTracking: false })
  return { server, wss }
}

/**
 * Opens a WebSocket to a peer (no redirects, no compression). Rejects with the socket's error,
 * or with the signal's reason once it aborts (the socket is terminated either way). Errors after
 * it opened are left to whoever reads it (WebSocketDuplex).
 */
export function openWebSocket(url: string, opts: { maxPayload: number; handshakeTimeoutMs?: number; signal?: AbortSignal }): Promise<WebSocket> {
  const { signal } = opts
  return new Promise<WebSocket>((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal))
    const w = new WebSocket(url, {
      maxPayload: opts.maxPayload,
      perMessageDeflate: false,
      followRedirects: false,
      ...(opts.handshakeTimeoutMs === undefined ? {} : { handshakeTimeout: opts.handshakeTimeoutMs }),
    })
    let settled = false
    const settle = (): boolean => {
      if (settled) return false
      settled = true
      signal?.removeEventListener('abort', onAbort)
      return true
    }
    const fail = (err: Error): void => {
      if (!settle()) return
      w.terminate()
      reject(err)
    }
    const onAbort = (): void => fail(abortReason(signal!))
    w.on('error', fail) // a no-op once settled
    w.once('open', () => {
      if (settle()) resolve(w)
    })
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted')
}

function noop(): void {}

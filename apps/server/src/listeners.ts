import { connect as netConnect, createServer, Socket, type Server as NetServer } from 'node:net'
import { chmodSync, unlinkSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type WebSocket from 'ws'
import type { WebSocketServer } from 'ws'
import { publicKeyToFeedId, type Keys } from '@ssb/keys'
import { createRpc, type Api, type Manifest, type RpcConnection } from '@ssb/rpc'
import { adoptWithReads, connectWithReads, type SocketReads } from '@ssb/box-stream'
import { shsClient, shsServer } from '@ssb/shs'
import type { Logger } from './logger.js'
import { whenConnected } from './util.js'
import type { Scope } from './address.js'
import { createWsHttpServer, DEFAULT_WS_MAX_PAYLOAD, openWebSocket, WebSocketDuplex, wsRemoteAddress, type WsListenSpec, type WsTarget } from './ws.js'

export type ListenSpec =
  | { kind: 'net'; host: string | undefined; port: number; scopes: string[] }
  | { kind: 'unix'; path: string }
  | WsListenSpec

export type Transport = 'net' | 'unix' | 'ws'

export interface ListenersDeps {
  keys: Keys
  logger: Logger
  api: Api
  manifest: Manifest
  /** Called for every new connection (peers and local clients), after RPC is attached. */
  onConnection?: (conn: PeerConnection) => void
  /** Plain HTTP requests on the WebSocket port (ssb-ws serves blobs there); default 404. */
  http?: (req: IncomingMessage, res: ServerResponse) => void
}

export interface ListenersOptions {
  caps: Uint8Array
  masters: Set<string>
  anonymous: string[]
  handshakeTimeoutMs: number
  inactivityTimeoutMs: number
  /** Handshakes in flight at once; more sockets are dropped at accept (slowloris guard). */
  maxHandshakes?: number
  /** Authenticated connections at once. */
  maxConnections?: number
  /** SHS authorize hook: false refuses the peer before msg4 (e.g. feeds we block). */
  authorize?: (remoteId: string) => boolean
  /** Largest WebSocket message accepted (default DEFAULT_WS_MAX_PAYLOAD). */
  wsMaxPayload?: number
}

export const DEFAULT_MAX_HANDSHAKES = 64
/** Accepted sockets waiting for a handshake slot; beyond this a burst is refused at accept. */
export const MAX_QUEUED_SOCKETS = 1024
export const DEFAULT_MAX_CONNECTIONS = 256

/** One authenticated RPC connection, incoming or outgoing. */
export interface PeerConnection {
  rpc: RpcConnection
  /** The peer's feed id (our own id for local clients on the unix socket). */
  id: string
  address: string
  transport: Transport
  /** We dialled this peer (we are the SHS client and the RPC caller of ebt.replicate). */
  isClient: boolean
  isMaster: boolean
  since: number
}
type Conn = PeerConnection

/**
 * Accepts net and WebSocket (SHS + box-stream, like multiserver's net and ws plugins) and
 * unix-socket (no-auth, like ssb-unix-socket) connections. Net and ws peers share the caps on
 * handshakes in flight and on connections.
 */
export class Listeners {
  #servers: Array<{ server: NetServer; spec: ListenSpec; wss?: WebSocketServer }> = []
  #conns = new Set<Conn>()
  #handshaking = new Set<Duplex>()
  #queued: Array<{ socket: Duplex; remote: string; transport: 'net' | 'ws' }> = []
  #closed = false

  constructor(
    private readonly deps: ListenersDeps,
    private readonly opts: ListenersOptions,
  ) {}

  async listen(specs: ListenSpec[]): Promise<void> {
    for (const spec of specs) {
      if (spec.kind === 'ws') {
        await this.#listenWs(spec)
        continue
      }
      // Paused until used: a TCP socket moves onto a reused read buffer when its handshake starts.
      const server = createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.#accept(socket, spec))
      server.on('error', (err) => this.deps.logger.error('listener error', { err }))
      if (spec.kind === 'net') {
        await listenOn(server, { port: spec.port, host: spec.host })
      } else {
        await listenUnix(server, spec.path)
        chmodSync(spec.path, 0o600)
      }
      this.#servers.push({ server, spec })
    }
  }

  netPort(): number | undefined {
    return this.#portOf('net')
  }

  /** The port the first WebSocket listener is bound to (useful with port 0). */
  wsPort(): number | undefined {
    return this.#portOf('ws')
  }

  #portOf(kind: 'net' | 'ws'): number | undefined {
    for (const { server, spec } of this.#servers) {
      const a = server.address()
      if (spec.kind === kind && a && typeof a === 'object') return a.port
    }
    return undefined
  }

  /** Hosts of the net listeners that serve a scope. */
  hostsFor(scope: Scope): Array<string | undefined> {
    return this.listenersFor(scope, 'net').map((l) => l.host)
  }

  /** Paths of the unix sockets we listen on (device scope, no-auth, like ssb-unix-socket). */
  unixPaths(): string[] {
    const out: string[] = []
    for (const { spec } of this.#servers) if (spec.kind === 'unix') out.push(spec.path)
    return out
  }

  /** Bound host and port of the net or ws listeners that serve a scope. */
  listenersFor(scope: Scope, kind: 'net' | 'ws'): Array<{ host: string | undefined; port: number }> {
    const out: Array<{ host: string | undefined; port: number }> = []
    for (const { server, spec } of this.#servers) {
      if (spec.kind !== kind) continue
      const a = server.address()
      if (!a || typeof a !== 'object') continue
      if (spec.scopes.includes(scope) || (scope === 'private' && spec.scopes.includes('local'))) out.push({ host: spec.host, port: a.port })
    }
    return out
  }

  /**
   * An HTTP server on the spec's port: upgrades become WebSocket peers (any path, like
   * pull-websocket), other requests go to `deps.http`. Capacity is checked before the upgrade.
   */
  async #listenWs(spec: WsListenSpec): Promise<void> {
    const maxConnections = this.opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS
    const maxHandshakes = this.opts.maxHandshakes ?? DEFAULT_MAX_HANDSHAKES
    const { server, wss } = createWsHttpServer({
      handshakeTimeoutMs: this.opts.handshakeTimeoutMs,
      maxSockets: maxConnections + maxHandshakes,
      maxPayload: this.opts.wsMaxPayload ?? DEFAULT_WS_MAX_PAYLOAD,
      ...(this.deps.http ? { http: this.deps.http } : {}),
    })
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.on('error', () => {})
      if (this.#closed || this.#conns.size >= maxConnections || this.#queued.length >= MAX_QUEUED_SOCKETS) {
        this.deps.logger.warn('refusing websocket: at capacity', { remote: socket.remoteAddress, connections: this.#conns.size })
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
        socket.destroy()
        return
      }
      wss.handleUpgrade(req, socket, head, (ws) => this.#acceptWs(ws, req))
    })
    server.on('error', (err) => this.deps.logger.error('listener error', { err }))
    wss.on('error', (err) => this.deps.logger.error('websocket listener error', { err }))
    try {
      await listenOn(server, { port: spec.port, host: spec.host })
    } catch (err) {
      wss.close()
      const e = err as NodeJS.ErrnoException
      throw Object.assign(
        new Error(`cannot listen for websockets on ${spec.host ?? '*'}:${spec.port} (ws.port): ${e.message}`, { cause: err }),
        { code: e.code },
      )
    }
    this.#servers.push({ server, spec, wss })
  }

  #acceptWs(ws: WebSocket, req: IncomingMessage): void {
    const stream = new WebSocketDuplex(ws)
    stream.on('error', () => {}) // reported through the handshake/rpc layers
    if (this.#closed) return void stream.destroy()
    const remote = wsRemoteAddress(req)
    if (this.#handshaking.size >= (this.opts.maxHandshakes ?? DEFAULT_MAX_HANDSHAKES)) {
      this.#queued.push({ socket: stream, remote, transport: 'ws' })
      return
    }
    this.#handshake(stream, remote, 'ws')
  }

  describeConnections(): Array<{ id: string; address: string; direction: 'in' | 'out'; transport: string; since: number }> {
    return [...this.#conns].map((c) => ({
      id: c.id,
      address: c.address,
      direction: c.isClient ? 'out' : 'in',
      transport: c.transport,
      since: c.since,
    }))
  }

  #accept(socket: Socket, spec: ListenSpec): void {
    const log = this.deps.logger
    socket.on('error', () => {}) // reported through the handshake/rpc layers
    if (this.#closed) return void socket.destroy()
    if (spec.kind === 'unix') {
      // Same as ssb-unix-socket + ssb-no-auth: the socket file is 0600, so whoever reaches it is us.
      this.#attach(socket, this.deps.keys.id, 'unix:' + spec.path, 'unix', false)
      socket.resume()
      return
    }
    const remote = `${socket.remoteAddress}:${socket.remotePort}`
    if (this.#conns.size >= (this.opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS) || this.#queued.length >= MAX_QUEUED_SOCKETS) {
      log.warn('refusing connection: at capacity', { remote, queued: this.#queued.length, connections: this.#conns.size })
      socket.destroy()
      return
    }
    if (this.#handshaking.size >= (this.opts.maxHandshakes ?? DEFAULT_MAX_HANDSHAKES)) {
      // A burst waits for a handshake slot instead of being reset; its timer starts with the handshake.
      this.#queued.push({ socket, remote, transport: 'net' })
      return
    }
    this.#handshake(socket, remote, 'net')
  }

  #handshake(accepted: Duplex, remote: string, transport: 'net' | 'ws'): void {
    const log = this.deps.logger
    const { socket, reads }: { socket: Duplex; reads?: SocketReads } =
      transport === 'net' && accepted instanceof Socket ? adoptWithReads(accepted) : { socket: accepted }
    this.#handshaking.add(socket)
    const done = () => {
      this.#handshaking.delete(socket)
      while (this.#queued.length > 0 && this.#handshaking.size < (this.opts.maxHandshakes ?? DEFAULT_MAX_HANDSHAKES)) {
        const next = this.#queued.shift()!
        if (!next.socket.destroyed && !this.#closed) this.#handshake(next.socket, next.remote, next.transport)
      }
    }
    const authorize = this.opts.authorize
    shsServer(socket, {
      ...(reads ? { reads } : {}),
      keys: this.deps.keys,
      caps: this.opts.caps,
      timeoutMs: this.opts.handshakeTimeoutMs,
      ...(authorize ? { authorize: (pk: Uint8Array) => authorize(publicKeyToFeedId(pk)) } : {}),
    })
      .then(({ stream, remoteId }) => {
        done()
        if (this.#closed) return void stream.destroy()
        this.#attach(stream, remoteId, transport === 'net' ? `net:${remote}` : remote, transport, false)
      })
      .catch((err: Error & { code?: string }) => {
        done()
        log.info('handshake failed', { remote, code: err.code, reason: err.message })
      })
  }

  /** Dials a peer (`net:host:port~shs:key`) with SHS; resolves once RPC is attached. */
  async connect(target: { host: string; port: number; key: Uint8Array; address: string }): Promise<PeerConnection> {
    if (this.#closed) throw new Error('server is closing')
    const { socket, reads } = connectWithReads({ host: target.host, port: target.port, noDelay: true })
    await whenConnected(socket, { ms: this.opts.handshakeTimeoutMs, message: `connect timeout: ${target.address}` })
    return this.#handshakeAsClient(socket, target, 'net', reads)
  }

  /** Dials a peer over WebSocket (`ws://host:port~shs:key`) with SHS; resolves once RPC is attached. */
  async connectWs(target: WsTarget): Promise<PeerConnection> {
    if (this.#closed) throw new Error('server is closing')
    const ws = await openWebSocket(target.url, { maxPayload: this.opts.wsMaxPayload ?? DEFAULT_WS_MAX_PAYLOAD, handshakeTimeoutMs: this.opts.handshakeTimeoutMs }).catch(
      (err: Error) => Promise.reject(new Error(`websocket connect failed: ${target.address}: ${err.message}`, { cause: err })),
    )
    return this.#handshakeAsClient(new WebSocketDuplex(ws), target, 'ws')
  }

  /** SHS as the client over a dialled byte stream, then RPC; the stream is ours to destroy on failure. */
  async #handshakeAsClient(
    socket: Duplex,
    target: { key: Uint8Array; address: string },
    transport: 'net' | 'ws',
    reads?: SocketReads,
  ): Promise<PeerConnection> {
    socket.on('error', () => {}) // reported through the handshake/rpc layers
    const { stream, remoteId } = await shsClient(socket, {
      ...(reads ? { reads } : {}),
      keys: this.deps.keys,
      serverPublicKey: target.key,
      caps: this.opts.caps,
      timeoutMs: this.opts.handshakeTimeoutMs,
    })
    if (this.#closed) {
      stream.destroy()
      throw new Error('server is closing')
    }
    return this.#attach(stream, remoteId, target.address, transport, true)
  }

  connections(): PeerConnection[] {
    return [...this.#conns]
  }

  #attach(stream: Duplex, remoteId: string, address: string, transport: Transport, isClient: boolean): PeerConnection {
    const isMaster = this.opts.masters.has(remoteId)
    const log = this.deps.logger.child({ peer: remoteId.slice(0, 12) })
    const rpc = createRpc(
      { stream, api: this.deps.api, logger: log },
      {
        manifest: this.deps.manifest,
        context: { remoteId, isMaster },
        permissions: isMaster ? undefined : { allow: this.opts.anonymous },
        // Local clients and our own key are never idle-dropped (secret-stack exempts api.id too).
        inactivityTimeoutMs: isMaster ? undefined : this.opts.inactivityTimeoutMs,
      },
    )
    const conn: Conn = { rpc, id: remoteId, address, transport, isClient, isMaster, since: Date.now() }
    this.#conns.add(conn)
    log.debug('connected', { address, master: isMaster, isClient })
    void rpc.whenClosed().then((err) => {
      this.#conns.delete(conn)
      if (err) log.info('connection closed', { address, code: err.code, reason: err.message })
      else log.debug('connection closed', { address })
    })
    try {
      this.deps.onConnection?.(conn)
    } catch (err) {
      log.error('connection hook failed', { err })
    }
    return conn
  }

  async close(): Promise<void> {
    this.#closed = true
    for (const s of this.#handshaking) s.destroy()
    for (const q of this.#queued.splice(0)) q.socket.destroy()
    await Promise.all([...this.#conns].map((c) => c.rpc.close().catch(() => c.rpc.close(new Error('server closing')))))
    await Promise.all(
      this.#servers.map(({ server, spec, wss }) =>
        new Promise<void>((resolve) => {
          wss?.close()
          server.close(() => resolve())
          // Idle keep-alive HTTP sockets would hold close() open.
          if ('closeAllConnections' in server) (server as { closeAllConnections(): void }).closeAllConnections()
        }).then(() => {
          if (spec.kind === 'unix') {
            try { unlinkSync(spec.path) } catch { /* already gone */ }
          }
        }),
      ),
    )
  }
}

function listenOn(server: NetServer, opts: { port: number; host?: string | undefined }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err)
    server.once('error', onError)
    server.listen(opts.host === undefined ? { port: opts.port } : { port: opts.port, host: opts.host }, () => {
      server.off('error', onError)
      resolve()
    })
  })
}

/** Listens on a unix socket, replacing a stale socket file that nobody answers on. */
async function listenUnix(server: NetServer, path: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const attempt = (retry: boolean) => {
      const onError = (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE' && retry) {
          const probe = netConnect(path)
          probe.once('connect', () => {
            probe.destroy()
            reject(new Error(`another server is already listening on ${path}`))
          })
          probe.once('error', () => {
            try { unlinkSync(path) } catch { /* raced */ }
            attempt(false)
          })
        } else reject(err)
      }
      server.once('error', onError)
      server.listen(path, () => {
        server.off('error', onError)
        resolve()
      })
    }
    attempt(true)
  })
}

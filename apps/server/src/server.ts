import { mkdirSync, writeFileSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { openDb, type Db } from '@ssb/db'
import { fromBase64, type FeedId, type Keys } from '@ssb/keys'
import { mainNetCaps } from '@ssb/shs'
import type { Manifest } from '@ssb/rpc'
import { coreApi } from './core-api.js'
import { CORE_MANIFEST, ANONYMOUS_METHODS, hasMethod, mergeApis, mergeManifests } from './manifest.js'
import { createReplication, REPLICATION_MANIFEST } from './replication.js'
import { BLOBS_MANIFEST, createBlobs } from './blobs.js'
import { createPrivate, createPrivateHooks, PRIVATE_MANIFEST } from './private.js'
import { DEFAULT_MAX_BLOB_BYTES } from '@ssb/blobs'
import type { MsgValue } from '@ssb/feed'
import type { Subsystem } from './subsystem.js'
import { createLogger, type Logger } from './logger.js'
import { loadOrCreateSecretSync } from './secret.js'
import { Listeners, type ListenSpec, type PeerConnection } from './listeners.js'
import { hostForScope, isWildcardHost, netAddress, parseNetAddress, type Scope } from './address.js'
import { coreHelp } from './help.js'
import type { ServerProgress, ServerStatus } from './types.js'
import { VERSION } from './version.js'

/** The parts of an ssb-config object the server reads (see @ssb/config SsbConfig). */
export interface ServerConfig {
  /** Data directory (`~/.ssb`). */
  path: string
  /** Identity; default: loaded from (or created in) `{path}/secret`. */
  keys?: Keys
  host?: string
  /** TCP port; 0 picks a free one (see `server.port`). Default 8008. */
  port?: number | string
  caps?: { shs?: string; sign?: string | null }
  /** Feed ids that get full rights (besides our own). */
  master?: string[]
  logging?: { level?: string }
  timers?: { handshake?: number | string; inactivity?: number | string }
  connections?: { incoming?: { net?: Array<{ host?: string; port?: number | string; scope?: string | string[] }>; unix?: unknown[] } }
  /** Listen on `{path}/socket` for local no-auth clients (default true when `connections.incoming.unix` is absent or set). */
  unixSocket?: boolean
  [key: string]: unknown
}

export interface ServerDeps {
  logger?: Logger
}

/** Store files live in their own folder so the JS server's flume files in ~/.ssb are never touched. */
export const STORE_DIR = 'ssb-ts'
/** secret-stack closes idle peer connections after this long (protocol.md trap 14). */
const DEFAULT_INACTIVITY_MS = 600_000

function toNumber(v: unknown, fallback: number): number {
  const n = typeof v === 'string' ? Number(v) : v
  return typeof n === 'number' && Number.isFinite(n) ? n : fallback
}

export class SsbServer {
  readonly id: string
  readonly keys: Keys
  readonly config: ServerConfig
  readonly logger: Logger
  /** Known before start-up, like secret-stack's: every subsystem's methods. */
  readonly manifestObject: Manifest = mergeManifests(CORE_MANIFEST, REPLICATION_MANIFEST, BLOBS_MANIFEST, PRIVATE_MANIFEST)
  #subsystems: Subsystem[] = []
  #db: Db | undefined
  #listeners: Listeners | undefined
  #ready: Promise<void>
  #closing: Promise<void> | undefined
  #startedAt = Date.now()

  constructor(config: ServerConfig, deps: ServerDeps = {}) {
    if (!config || typeof config.path !== 'string') throw new TypeError('Server(config): config.path is required')
    this.config = config
    this.logger = deps.logger ?? createLogger({ level: config.logging?.level })
    this.keys = config.keys ?? loadOrCreateSecretSync(join(config.path, 'secret'))
    this.id = this.keys.id
    this.#ready = this.#start()
    this.#ready.catch(() => {}) // surfaced through ready()
  }

  /** Resolves when the store is open and every listener is up; rejects with the start-up error. */
  ready(): Promise<void> {
    return this.#ready
  }

  get db(): Db {
    if (!this.#db) throw new Error('server is not ready: await server.ready()')
    return this.#db
  }

  /** The TCP port the net listener is bound to (useful with port 0). */
  get port(): number | undefined {
    return this.#listeners?.netPort()
  }

  getManifest(): Manifest {
    return this.manifestObject
  }

  manifest(): Manifest {
    return this.manifestObject
  }

  /** Our multiserver address for a scope (default `device`), like secret-stack's getAddress. */
  getAddress(scope: unknown = 'device'): string | null {
    const s = (typeof scope === 'string' ? scope : 'device') as Scope
    const port = this.port
    if (port === undefined) return null
    const key = this.keys.public.replace(/\.ed25519$/, '')
    const hosts = this.#listeners?.hostsFor(s) ?? []
    const addrs: string[] = []
    for (const h of hosts) {
      const host = isWildcardHost(h) ? hostForScope(s) : h
      if (host) addrs.push(netAddress(host, port, key))
    }
    return addrs.length ? [...new Set(addrs)].join(';') : null
  }

  address(scope?: unknown): string | null {
    return this.getAddress(scope)
  }

  progress(): ServerProgress {
    const p = this.#db?.progress()
    const out: ServerProgress = { indexes: p?.indexes ?? { start: 0, current: 0, target: 0 } }
    for (const sub of this.#subsystems) {
      const extra = sub.progress?.()
      if (extra !== undefined) out[sub.name === 'replication' ? 'ebt' : sub.name] = extra
    }
    return out
  }

  status(): ServerStatus {
    const progress = this.progress()
    return {
      progress,
      db: { path: join(this.config.path, STORE_DIR) },
      sync: {
        since: progress.indexes.current,
        plugins: { indexes: progress.indexes.current },
        sync: progress.indexes.current >= progress.indexes.target,
      },
      connections: this.#listeners?.describeConnections() ?? [],
      uptime: Date.now() - this.#startedAt,
    }
  }

  async #start(): Promise<void> {
    const { config } = this
    mkdirSync(config.path, { recursive: true })
    const log = this.logger
    const privateHooks = createPrivateHooks(this.keys)
    this.#db = await openDb(
      { keys: this.keys, logger: log.child({ scope: 'db' }) },
      {
        dir: join(config.path, STORE_DIR),
        hmacKey: config.caps?.sign ?? null,
        box: privateHooks.box,
        unbox: privateHooks.unbox,
        onProgress: (p) => log.info('indexing', { phase: p.phase, done: p.done, total: p.total }),
      },
    )
    const db = this.#db
    const replication = createReplication(
      { id: this.id as FeedId, db, logger: log, dir: join(config.path, STORE_DIR) },
      { hops: toNumber((config.friends as { hops?: unknown } | undefined)?.hops, 2) },
    )
    const blobsConfig = (config.blobs ?? {}) as { max?: unknown; quota?: unknown; autoWant?: unknown; sympathy?: unknown }
    const blobs = await createBlobs(
      { id: this.id, db, logger: log, dir: join(config.path, 'blobs') },
      {
        max: toNumber(blobsConfig.max, DEFAULT_MAX_BLOB_BYTES),
        quotaBytes: toNumber(blobsConfig.quota, 0),
        autoWant: blobsConfig.autoWant !== false,
        sympathy: toNumber(blobsConfig.sympathy, 3),
      },
    )
    const priv = createPrivate({
      publish: (content) => db.publish(content),
      unbox: (box) => privateHooks.unbox({ content: box } as MsgValue),
    })
    this.#subsystems = [replication, blobs, priv]
    const core = coreApi({
      id: this.id,
      version: VERSION,
      db,
      manifest: () => this.manifestObject,
      address: (scope) => this.getAddress(scope),
      status: () => this.status(),
      progress: () => this.progress(),
      help: () => coreHelp(),
      onHistoryRequest: (call) => {
        if (call.remoteId !== this.id) replication.onHistoryRequest(call.connection, call.remoteId)
      },
      isBlocked: (author, peer) => replication.friends.isBlocking({ source: author as FeedId, dest: peer as FeedId }),
    })
    const api = mergeApis(core, ...this.#subsystems.map((x) => x.api))
    const anonymous = [...ANONYMOUS_METHODS.filter((m) => hasMethod(this.manifestObject, m.split('.'))), ...this.#subsystems.flatMap((x) => x.anonymous ?? [])]
    const masters = new Set<string>([this.id, ...(config.master ?? [])])
    const caps = config.caps?.shs ? fromBase64(config.caps.shs) : mainNetCaps()
    this.#listeners = new Listeners(
      {
        keys: this.keys,
        logger: log.child({ scope: 'net' }),
        api,
        manifest: this.manifestObject,
        onConnection: (conn) => {
          for (const sub of this.#subsystems) sub.onConnection?.(conn)
        },
      },
      {
        caps,
        masters,
        anonymous: [...new Set(anonymous)],
        handshakeTimeoutMs: toNumber(config.timers?.handshake, 5000),
        inactivityTimeoutMs: toNumber(config.timers?.inactivity, DEFAULT_INACTIVITY_MS),
        // Like ssb-friends' auth hook: peers we block cannot connect at all.
        authorize: (remoteId) => masters.has(remoteId) || !replication.friends.isBlocking({ source: this.id as FeedId, dest: remoteId as FeedId }),
      },
    )
    try {
      await this.#listeners.listen(this.#listenSpecs())
    } catch (err) {
      await this.#listeners.close().catch(() => {})
      await db.close().catch(() => {})
      throw err
    }
    this.#writeManifest()
    log.info('listening', { id: this.id, address: this.getAddress('device'), path: config.path })
  }

  #listenSpecs(): ListenSpec[] {
    const { config } = this
    const specs: ListenSpec[] = []
    const net = config.connections?.incoming?.net
    const defaultPort = toNumber(config.port, 8008)
    if (Array.isArray(net) && net.length > 0) {
      for (const entry of net) {
        const scopes = ([] as string[]).concat(entry.scope ?? ['device', 'local', 'public'])
        specs.push({ kind: 'net', host: entry.host, port: toNumber(entry.port, defaultPort), scopes })
      }
    } else {
      specs.push({ kind: 'net', host: config.host, port: defaultPort, scopes: ['device', 'local', 'public'] })
    }
    const unix = config.connections?.incoming?.unix
    if (config.unixSocket !== false && (unix === undefined || (Array.isArray(unix) && unix.length > 0))) {
      specs.push({ kind: 'unix', path: join(config.path, 'socket') })
    }
    return specs
  }

  /** ssb-client and the CLI read `{path}/manifest.json` to know our methods. */
  #writeManifest(): void {
    const file = join(this.config.path, 'manifest.json')
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(this.manifestObject, null, 2))
    renameSync(tmp, file)
  }

  /**
   * Dials a peer (`net:host:port~shs:key`, legacy `host:port:@key.ed25519`, or `{host, port, key}`)
   * and attaches RPC; resolves with the connection once the handshake is done.
   */
  async connect(address: unknown): Promise<PeerConnection> {
    await this.#ready
    const target = parseNetAddress(address, fromBase64)
    if (!target) throw new Error(`not a dialable address: ${JSON.stringify(address)}`)
    return this.#listeners!.connect(target)
  }

  /** Open connections, peers and local clients. */
  connections(): PeerConnection[] {
    return this.#listeners?.connections() ?? []
  }

  /** Closes connections (gracefully), listeners and the store. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#ready.catch(() => {})
      await this.#listeners?.close()
      for (const sub of this.#subsystems) await sub.close?.().catch((err: unknown) => this.logger.error('close failed', { subsystem: sub.name, err }))
      await this.#db?.close()
      this.logger.info('closed')
    })()
    return this.#closing
  }
}

/** `Server(config)`: the JS API of ssb-server. Returns at once; `await server.ready()` to know it is up. */
export function Server(config: ServerConfig, deps?: ServerDeps): SsbServer {
  return new SsbServer(config, deps)
}

/** Starts a server and waits until it listens. */
export async function startServer(config: ServerConfig, deps?: ServerDeps): Promise<SsbServer> {
  const server = new SsbServer(config, deps)
  await server.ready()
  return server
}

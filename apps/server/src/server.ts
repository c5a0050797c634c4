import { mkdirSync, writeFileSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { openDb, type Db } from '@ssb/db'
import type { MsgValue } from '@ssb/feed'
import { fromBase64, type FeedId, type Keys } from '@ssb/keys'
import { mainNetCaps } from '@ssb/shs'
import type { Manifest } from '@ssb/rpc'
import { coreApi } from './core-api.js'
import { CORE_MANIFEST, ANONYMOUS_METHODS, hasMethod, manifestEntry, mergeApis, mergeManifests } from './manifest.js'
import { batchWorkersFor, type Replication } from './replication.js'
import { createPrivateHooks, type PrivateHooks } from './private.js'
import type { Subsystem, SubsystemContext, SubsystemFactory } from './subsystem.js'
import { BUILTIN_SUBSYSTEMS } from './subsystems.js'
import { checkPlugin, loadPlugins, pluginSubsystem, PluginError, type Plugin, type PluginApi } from './plugins.js'
import { toNumber } from './util.js'
import { createLogger, type Logger } from './logger.js'
import { loadOrCreateSecretSync } from './secret.js'
import { Listeners, type ListenSpec, type PeerConnection } from './listeners.js'
import { hostForScope, isWildcardHost, netAddress, parseNetAddress, type Scope } from './address.js'
import { createBlobHttpHandler, parseWsAddress, wsAddress, wsListenSpecs } from './ws.js'
import type { Blobs } from './blobs.js'
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
  connections?: {
    incoming?: {
      net?: Array<{ host?: string; port?: number | string; scope?: string | string[] }>
      /** WebSocket listeners (ssb-ws); `ws: {port, host}` is used when absent. */
      ws?: Array<{ host?: string; port?: number | string; scope?: string | string[]; transform?: string }>
      unix?: unknown[]
    }
  }
  /** ssb-ws: listen for WebSocket peers on `port` (default 8989); `false` for none. */
  ws?: { port?: number | string; host?: string; scope?: string | string[] } | false
  /** Listen on `{path}/socket` for local no-auth clients (default true when `connections.incoming.unix` is absent or set). */
  unixSocket?: boolean
  [key: string]: unknown
}

export interface ServerDeps {
  logger?: Logger
  /** Plugins to start after the built-in subsystems (see `Server.use`). */
  plugins?: Plugin[]
}

/** Store files live in their own folder so the JS server's flume files in ~/.ssb are never touched. */
export const STORE_DIR = 'ssb-ts'
/** secret-stack closes idle peer connections after this long (protocol.md trap 14). */
const DEFAULT_INACTIVITY_MS = 600_000

export class SsbServer {
  readonly id: string
  readonly keys: Keys
  readonly config: ServerConfig
  readonly logger: Logger
  /** Known before start-up, like secret-stack's: every subsystem's and plugin's methods. */
  readonly manifestObject: Manifest
  #factories: SubsystemFactory[]
  #subsystems: Subsystem[] = []
  #plugins = new Map<string, PluginApi>()
  #db: Db | undefined
  /** Our key's box/unbox, shared by the store's hooks and the private subsystem. */
  #privateHooks: PrivateHooks | undefined
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
    const plugins = [...(deps.plugins ?? []), ...configPlugins(config)]
    this.#factories = [...BUILTIN_SUBSYSTEMS, ...plugins.map((p) => pluginSubsystem(p, (name, methods) => this.#plugins.set(name, methods)))]
    this.manifestObject = buildManifest(this.#factories)
    this.#ready = this.#start()
    this.#ready.catch(() => {}) // surfaced through ready()
  }

  /** Resolves when the store is open and every listener is up; rejects with the start-up error. */
  ready(): Promise<void> {
    return this.#ready
  }

  /** The methods a plugin's `init` returned (in-process calls), once the server is ready. */
  plugin<T extends PluginApi = PluginApi>(name: string): T | undefined {
    return this.#plugins.get(name) as T | undefined
  }

  /** A started subsystem (`replication`, `blobs`, `gossip`, …) by name. */
  subsystem<T extends Subsystem = Subsystem>(name: string): T | undefined {
    return this.#subsystems.find((s) => s.name === name) as T | undefined
  }

  get db(): Db {
    if (!this.#db) throw new Error('server is not ready: await server.ready()')
    return this.#db
  }

  /** The TCP port the net listener is bound to (useful with port 0). */
  get port(): number | undefined {
    return this.#listeners?.netPort()
  }

  /** The port the WebSocket listener is bound to, if there is one. */
  get wsPort(): number | undefined {
    return this.#listeners?.wsPort()
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
    for (const l of this.#listeners?.listenersFor(s, 'ws') ?? []) {
      const host = isWildcardHost(l.host) ? hostForScope(s) : l.host
      if (host) addrs.push(wsAddress(host, l.port, key))
    }
    // multiserver's unix transport with the noauth transform, as ssb-server lists it
    if (s === 'device') for (const path of this.#listeners?.unixPaths() ?? []) addrs.push(`unix:${path}~noauth`)
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
      ...Object.fromEntries(this.#subsystems.flatMap((sub) => {
        const extra = sub.status?.()
        return extra === undefined ? [] : [[sub.name, extra]]
      })),
    }
  }

  async #start(): Promise<void> {
    const { config } = this
    mkdirSync(config.path, { recursive: true })
    const log = this.logger
    const privateHooks = (this.#privateHooks = createPrivateHooks(this.keys))
    try {
      this.#db = await openDb(
        { keys: this.keys, logger: log.child({ scope: 'db' }) },
        {
          dir: join(config.path, STORE_DIR),
          hmacKey: config.caps?.sign ?? null,
          box: privateHooks.box,
          unbox: privateHooks.unbox,
          onProgress: (p) => log.info('indexing', { phase: p.phase, done: p.done, total: p.total }),
          batchWorkers: batchWorkersFor(config),
        },
      )
    } catch (err) {
      await this.#closeStore()
      throw err
    }
    const db = this.#db
    try {
      for (const factory of this.#factories) {
        const ctx: SubsystemContext = {
          id: this.id as FeedId,
          keys: this.keys,
          config,
          db,
          logger: log.child({ scope: factory.name }),
          path: config.path,
          storeDir: join(config.path, STORE_DIR),
          server: this,
          unboxPrivate: (text) => privateHooks.unbox({ content: text } as MsgValue),
          get: <T extends Subsystem>(name: string) => this.#subsystems.find((x) => x.name === name) as T | undefined,
        }
        this.#subsystems.push(await factory.create(ctx))
      }
    } catch (err) {
      await this.#closeSubsystems()
      await this.#closeStore().catch(() => {})
      throw err
    }
    const replication = this.subsystem<Replication>('replication')!
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
    this.#installPluginProperties()
    const anonymous = [...ANONYMOUS_METHODS.filter((m) => hasMethod(this.manifestObject, m.split('.'))), ...this.#subsystems.flatMap((x) => x.anonymous ?? [])]
    const masters = new Set<string>([this.id, ...(config.master ?? [])])
    const caps = config.caps?.shs ? fromBase64(config.caps.shs) : mainNetCaps()
    this.#listeners = new Listeners(
      {
        keys: this.keys,
        logger: log.child({ scope: 'net' }),
        api,
        manifest: this.manifestObject,
        http: createBlobHttpHandler(() => this.subsystem<Blobs>('blobs')?.store),
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
      await this.#closeSubsystems()
      await this.#closeStore().catch(() => {})
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
    specs.push(...wsListenSpecs(config))
    const unix = config.connections?.incoming?.unix
    if (config.unixSocket !== false && (unix === undefined || (Array.isArray(unix) && unix.length > 0))) {
      specs.push({ kind: 'unix', path: join(config.path, 'socket') })
    }
    return specs
  }

  /** Closes the store, then frees our converted key (after the last unbox the store may do). */
  async #closeStore(): Promise<void> {
    try {
      await this.#db?.close()
    } finally {
      this.#privateHooks?.close()
      this.#privateHooks = undefined
    }
  }

  /** Closes subsystems in reverse start order; a failure is logged, not thrown. */
  async #closeSubsystems(): Promise<void> {
    for (const sub of this.#subsystems.splice(0).reverse()) {
      await sub.close?.().catch((err: unknown) => this.logger.error('close failed', { subsystem: sub.name, err }))
    }
  }

  /** Like secret-stack, `server.<plugin>.<method>()` calls a plugin in-process (unless the name is taken). */
  #installPluginProperties(): void {
    for (const [name, methods] of this.#plugins) {
      if (name in this) continue
      Object.defineProperty(this, name, { value: methods, enumerable: true, configurable: true })
    }
  }

  /** ssb-client and the CLI read `{path}/manifest.json` to know our methods. */
  #writeManifest(): void {
    const file = join(this.config.path, 'manifest.json')
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(this.manifestObject, null, 2))
    renameSync(tmp, file)
  }

  /**
   * Dials a peer (`net:host:port~shs:key`, `ws://host:port~shs:key`, legacy `host:port:@key.ed25519`, or `{host, port, key}`)
   * and attaches RPC; resolves with the connection once the handshake is done.
   */
  async connect(address: unknown): Promise<PeerConnection> {
    await this.#ready
    const target = parseNetAddress(address, fromBase64)
    const ws = target ? null : parseWsAddress(address, fromBase64)
    if (ws) return this.#listeners!.connectWs(ws)
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
      await this.#closeSubsystems()
      await this.#closeStore()
      this.logger.info('closed')
    })()
    return this.#closing
  }
}

/** Every factory's manifest merged; a plugin may not redefine a method another part has. */
function buildManifest(factories: SubsystemFactory[]): Manifest {
  let manifest = CORE_MANIFEST
  for (const f of factories) {
    for (const path of methodPaths(f.manifest)) {
      if (manifestEntry(manifest, path) !== undefined && typeof manifestEntry(manifest, path) !== 'object') {
        throw new PluginError(f.name, `method ${path.join('.')} is already defined by the server or an earlier plugin`)
      }
    }
    manifest = mergeManifests(manifest, f.manifest)
  }
  return manifest
}

function methodPaths(m: Manifest, prefix: string[] = []): string[][] {
  return Object.entries(m).flatMap(([k, v]) => (typeof v === 'object' ? methodPaths(v, [...prefix, k]) : [[...prefix, k]]))
}

/** `config.plugins` entries that are plugin objects; module names need `startServer`/`loadPlugins`. */
function configPlugins(config: ServerConfig): Plugin[] {
  const spec = config.plugins
  if (spec === undefined || spec === null) return []
  if (!Array.isArray(spec) || spec.some((p) => typeof p !== 'object')) {
    throw new PluginError('config.plugins', 'module names must be loaded first: use startServer(config) (or loadPlugins(config)) instead of Server(config)')
  }
  return spec.map((p) => checkPlugin(p))
}

/** A server constructor with plugins, like secret-stack's `SecretStack().use(plugin)`. */
export interface ServerCreator {
  (config: ServerConfig, deps?: ServerDeps): SsbServer
  /** A creator that also starts `plugin` (after the ones already added). */
  use(plugin: Plugin): ServerCreator
}

function creator(plugins: Plugin[]): ServerCreator {
  const create = ((config: ServerConfig, deps: ServerDeps = {}) =>
    new SsbServer(config, { ...deps, plugins: [...plugins, ...(deps.plugins ?? [])] })) as ServerCreator
  create.use = (plugin: Plugin) => creator([...plugins, checkPlugin(plugin)])
  return create
}

/**
 * `Server(config)`: the JS API of ssb-server. Returns at once with the full manifest;
 * `await server.ready()` to know it is up. `Server.use(plugin)(config)` adds plugins.
 */
export const Server: ServerCreator = creator([])

/**
 * Starts a server and waits until it listens. Unlike `Server(config)`, module names in
 * `config.plugins` are loaded (ESM or CommonJS) before start-up.
 */
export async function startServer(config: ServerConfig, deps: ServerDeps = {}): Promise<SsbServer> {
  const loaded = await loadPlugins(config)
  const server = new SsbServer({ ...config, plugins: undefined }, { ...deps, plugins: [...(deps.plugins ?? []), ...loaded] })
  try {
    await server.ready()
  } catch (err) {
    await server.close().catch(() => {})
    throw err
  }
  return server
}

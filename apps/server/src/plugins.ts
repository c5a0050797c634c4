import { createRequire } from 'node:module'
import { isAbsolute, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Api, CallInfo, Handler, Manifest } from '@ssb/rpc'
import type { ServerConfig, SsbServer } from './server.js'
import type { Subsystem, SubsystemFactory } from './subsystem.js'

const CALL_TYPES = new Set(['async', 'sync', 'source', 'sink', 'duplex'])
/** Section names a plugin may not take: secret-stack's own methods. */
const RESERVED = new Set(['auth', 'address', 'getAddress', 'manifest', 'multiserver', 'close', 'id', 'config', 'keys'])

/**
 * A plugin, in the shape secret-stack plugins have. `init` runs once the store is open and
 * returns the methods named in `manifest`:
 * - `async`/`sync`: `(...args) => value | Promise<value>`
 * - `source`: `(...args) => AsyncIterable | Iterable` (or a promise of one)
 * - `sink`/`duplex`: `(...args) => (input: AsyncIterable) => Promise | AsyncIterable`
 *
 * Remote calls run with `this` = `{ id, isMaster, signal }` of the caller (secret-stack passes the
 * caller's RPC object, whose `id` is the peer). Methods are master-only unless listed in
 * `permissions.anonymous.allow` (names relative to the plugin: `['get']` means `name.get`).
 */
export interface Plugin {
  name: string
  version?: string
  manifest?: Manifest
  permissions?: { anonymous?: { allow?: string[] } }
  init(server: SsbServer, config: ServerConfig): PluginApi | void | Promise<PluginApi | void>
}

export interface PluginApi {
  [name: string]: unknown
}

/** The caller of a remote plugin method (its `this`). */
export interface PluginCallContext {
  /** Feed id of the caller (our own id for local clients). */
  id: string
  isMaster: boolean
  /** Aborted when the caller goes away. */
  signal: AbortSignal
}

/** Configuration for a plugin that failed to load or start. */
export class PluginError extends Error {
  readonly code = 'PLUGIN_FAILED'
  constructor(
    readonly plugin: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`plugin "${plugin}": ${message}`, options)
    this.name = 'PluginError'
  }
}

function checkManifest(plugin: string, manifest: unknown, path: string[] = []): Manifest {
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new PluginError(plugin, `manifest${path.length ? ` entry ${path.join('.')}` : ''} must be an object`)
  }
  for (const [k, v] of Object.entries(manifest)) {
    if (typeof v === 'object' && v !== null) checkManifest(plugin, v, [...path, k])
    else if (typeof v !== 'string' || !CALL_TYPES.has(v)) {
      throw new PluginError(plugin, `manifest entry ${[...path, k].join('.')} has type ${JSON.stringify(v)}; expected one of ${[...CALL_TYPES].join(', ')}`)
    }
  }
  return manifest as Manifest
}

/** Validates a plugin object before start-up (name, init, manifest), so mistakes fail fast. */
export function checkPlugin(p: unknown, where = 'plugin'): Plugin {
  if (typeof p !== 'object' || p === null) throw new PluginError(where, 'a plugin must be an object { name, manifest, init }')
  const plugin = p as Partial<Plugin>
  if (typeof plugin.name !== 'string' || !/^[A-Za-z_$][\w$-]*$/.test(plugin.name)) {
    throw new PluginError(typeof plugin.name === 'string' ? plugin.name : where, 'needs a name (letters, digits, _ and -)')
  }
  if (RESERVED.has(plugin.name)) throw new PluginError(plugin.name, 'this name is reserved by the server')
  if (typeof plugin.init !== 'function') throw new PluginError(plugin.name, 'init must be a function (server, config) => methods')
  if (plugin.manifest !== undefined) checkManifest(plugin.name, plugin.manifest)
  const allow = plugin.permissions?.anonymous?.allow
  if (allow !== undefined && (!Array.isArray(allow) || allow.some((m) => typeof m !== 'string'))) {
    throw new PluginError(plugin.name, 'permissions.anonymous.allow must be an array of method names')
  }
  return plugin as Plugin
}

function adaptMethods(plugin: string, manifest: Manifest, impl: PluginApi, path: string[] = []): Api {
  const api: Api = {}
  for (const [name, type] of Object.entries(manifest)) {
    const where = [...path, name].join('.')
    const fn = impl[name]
    if (typeof type === 'object') {
      if (typeof fn !== 'object' || fn === null) throw new PluginError(plugin, `init() returned no object for ${where}`)
      api[name] = adaptMethods(plugin, type, fn as PluginApi, [...path, name])
      continue
    }
    if (typeof fn !== 'function') throw new PluginError(plugin, `init() returned no function for ${where} (${type})`)
    const method = fn as (this: PluginCallContext, ...args: unknown[]) => unknown
    const self = (call: CallInfo): PluginCallContext => ({ id: call.remoteId, isMaster: call.isMaster === true, signal: call.signal })
    const handler: Handler =
      type === 'sink' || type === 'duplex'
        ? async (args, call, input) => {
            const consume = await method.apply(self(call), args)
            if (typeof consume !== 'function') throw new PluginError(plugin, `${where} (${type}) must return a function that takes the input stream`)
            return (consume as (input: AsyncIterable<unknown>) => unknown)(input)
          }
        : (args, call) => method.apply(self(call), args)
    api[name] = handler
  }
  return api
}

function qualify(plugin: string, names: string[]): string[] {
  return names.map((m) => (m.startsWith(`${plugin}.`) ? m : `${plugin}.${m}`))
}

/** Adapts a plugin to a subsystem: its manifest goes under `name`, its methods over RPC. */
export function pluginSubsystem(plugin: Plugin, onInit: (name: string, methods: PluginApi) => void): SubsystemFactory {
  const checked = checkPlugin(plugin)
  const manifest: Manifest = checked.manifest ? { [checked.name]: checked.manifest } : {}
  return {
    name: checked.name,
    manifest,
    async create(ctx): Promise<Subsystem> {
      let methods: PluginApi
      try {
        methods = ((await checked.init(ctx.server, ctx.config)) ?? {}) as PluginApi
      } catch (err) {
        throw new PluginError(checked.name, `init failed: ${(err as Error)?.message ?? String(err)}`, { cause: err })
      }
      if (typeof methods !== 'object' || methods === null) throw new PluginError(checked.name, 'init() must return an object of methods')
      const api: Api = checked.manifest ? { [checked.name]: adaptMethods(checked.name, checked.manifest, methods) } : {}
      onInit(checked.name, methods)
      const close = methods.close
      return {
        name: checked.name,
        manifest,
        api,
        anonymous: qualify(checked.name, checked.permissions?.anonymous?.allow ?? []),
        ...(typeof close === 'function' ? { close: async () => void (await (close as () => unknown).call(methods)) } : {}),
      }
    },
  }
}

/**
 * The plugins named in `config.plugins`: plugin objects, module paths/names (an array), or
 * ssb-plugins' `{ "module-name": true }` map (resolved from `{path}/node_modules`). Module
 * specifiers are loaded with `import()` (ESM and CommonJS both work).
 */
export async function loadPlugins(config: ServerConfig): Promise<Plugin[]> {
  const spec = config.plugins
  if (spec === undefined || spec === null) return []
  const entries: unknown[] = Array.isArray(spec)
    ? spec
    : typeof spec === 'object'
      ? Object.entries(spec as Record<string, unknown>)
          .filter(([, on]) => on !== false && on !== null && on !== undefined)
          .map(([name]) => name)
      : [spec]
  const out: Plugin[] = []
  for (const entry of entries) {
    if (typeof entry !== 'string') {
      out.push(checkPlugin(entry))
      continue
    }
    let mod: { default?: unknown } & Record<string, unknown>
    try {
      mod = await import(pathToFileURL(resolvePlugin(entry, config.path)).href)
    } catch (err) {
      throw new PluginError(entry, `could not be loaded: ${(err as Error).message}`, { cause: err })
    }
    const exported = (mod.default ?? mod) as { default?: unknown }
    // A CommonJS module imported from ESM arrives as { default: module.exports }.
    out.push(checkPlugin(typeof exported === 'object' && exported && 'init' in exported ? exported : (exported.default ?? exported), entry))
  }
  return out
}

function resolvePlugin(entry: string, dataDir: string): string {
  if (isAbsolute(entry)) return entry
  if (entry.startsWith('.')) return resolve(entry)
  // A package name: ssb-plugins installs into {path}/node_modules; fall back to normal resolution.
  for (const base of [join(dataDir, 'node_modules', 'index.js'), join(process.cwd(), 'index.js')]) {
    try {
      return createRequire(base).resolve(entry)
    } catch {
      /* try the next place */
    }
  }
  throw new Error(`cannot find module "${entry}" in ${join(dataDir, 'node_modules')} or from ${process.cwd()}`)
}

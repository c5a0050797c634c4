import { readFileSync } from 'node:fs'
import { networkInterfaces as osNetworkInterfaces } from 'node:os'
import type { NetworkInterfaces } from './connections.js'
import { DEFAULT_APP_NAME } from './constants.js'
import { isPlainObject } from './deep-extend.js'
import { setDefaults } from './defaults.js'
import { ConfigError } from './errors.js'
import { parseArgv } from './parse-argv.js'
import { loadRc, type ReadFile } from './rc.js'
import type { SsbConfig } from './types.js'

export interface ResolveConfigOptions {
  /** Default: `env.ssb_appname`, else `'ssb'` (as ssb-server's bin.js does). */
  appName?: string
  /** Command-line arguments after the command, parsed like minimist. Default `[]`. */
  argv?: readonly string[]
  /** Environment variables; `{appName}_*` are read, `__` nests. Default `{}`. */
  env?: Readonly<Record<string, string | undefined>>
  /** The user's home directory (rc reads `~/.{appName}rc` etc.; default path `~/.{appName}`). */
  homeDir: string
  /** Where rc's upward search for `.{appName}rc` starts, and what relative config paths resolve against. Omitted: no search. */
  cwd?: string
  /** Returns a file's text, or undefined if it cannot be read. Default: `fs.readFileSync(path, 'utf8')`. */
  readFile?: ReadFile
  /** Interfaces used when no host is configured. Default: `os.networkInterfaces()`. */
  networkInterfaces?: NetworkInterfaces | (() => NetworkInterfaces)
  /** Lowest-precedence layer, like the second argument of `require('ssb-config/inject')`. */
  overrides?: Record<string, unknown>
}

export const readFileOrUndefined: ReadFile = (path) => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/**
 * Resolve configuration as ssb-config 3.4.6 `inject(appName, overrides)` does, reading only what
 * the options point at. Precedence, lowest first: ssb-config defaults, `overrides`,
 * `/etc/{app}/config`, `/etc/{app}rc`, `~/.config/{app}/config`, `~/.config/{app}`,
 * `~/.{app}/config`, `~/.{app}rc`, the nearest `.{app}rc` above `cwd`, the file named by
 * `{app}_config`, the file named by `--config`, `{app}_*` env vars, argv.
 */
export function resolveConfig(opts: ResolveConfigOptions): SsbConfig {
  if (!isPlainObject(opts)) throw new ConfigError('CONFIG_BAD_OPTIONS', 'options must be an object')
  const { homeDir } = opts
  if (typeof homeDir !== 'string' || homeDir === '') {
    throw new ConfigError('CONFIG_BAD_OPTIONS', 'homeDir must be a non-empty string')
  }
  const argv = opts.argv ?? []
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) {
    throw new ConfigError('CONFIG_BAD_OPTIONS', 'argv must be an array of strings')
  }
  const env = opts.env ?? {}
  if (!isPlainObject(env)) throw new ConfigError('CONFIG_BAD_OPTIONS', 'env must be an object')
  const overrides = opts.overrides ?? {}
  if (!isPlainObject(overrides)) throw new ConfigError('CONFIG_BAD_OPTIONS', 'overrides must be a plain object')
  const appName = opts.appName || env['ssb_appname'] || DEFAULT_APP_NAME

  const layered = loadRc({
    appName,
    overrides,
    argv: parseArgv(argv),
    env,
    homeDir,
    cwd: opts.cwd,
    readFile: opts.readFile ?? readFileOrUndefined,
  })
  const nics = opts.networkInterfaces
  const interfaces = typeof nics === 'function' ? nics : () => nics ?? (osNetworkInterfaces() as NetworkInterfaces)
  return setDefaults(appName, homeDir, layered, interfaces) as SsbConfig
}

/** A config value as a number: numbers pass, numeric strings (from env/INI) convert. */
export function configNumber(value: unknown, key: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new ConfigError('CONFIG_BAD_VALUE', `${key} must be a number, got ${JSON.stringify(value)}`)
  }
  return n
}

// The layering of rc 1.2.8 as ssb-config 3.4.6 calls it: `rc(appName, overrides)`.
// Precedence, lowest first: overrides, config files (in the order below), env, argv.
import { dirname, join, resolve } from 'node:path'
import { deepMerge, type PlainObject } from './deep-extend.js'
import { ConfigError } from './errors.js'
import { decodeIni } from './ini.js'
import type { ParsedArgv } from './parse-argv.js'
import { stripJsonComments } from './strip-json-comments.js'

export type ReadFile = (path: string) => string | undefined

export interface RcInput {
  appName: string
  overrides: PlainObject
  argv: ParsedArgv
  env: Readonly<Record<string, string | undefined>>
  homeDir: string
  cwd: string | undefined
  readFile: ReadFile
}

/** rc's `parse`: JSON (comments allowed) if the text starts with `{`, INI otherwise. */
export function parseConfigText(content: string, path: string): PlainObject {
  if (!/^\s*{/.test(content)) return decodeIni(content)
  try {
    return JSON.parse(stripJsonComments(content)) as PlainObject
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    throw new ConfigError('CONFIG_BAD_JSON', `config file ${path} starts with "{" but is not valid JSON: ${reason}`, {
      cause: err,
      path,
    })
  }
}

/**
 * rc's `env(prefix)`: every variable whose name starts with `{appName}_` (any case) becomes a
 * key; `__` nests. Values stay strings, as in rc.
 */
export function envConfig(prefix: string, env: Readonly<Record<string, string | undefined>>): PlainObject {
  const obj: PlainObject = {}
  const lowerPrefix = prefix.toLowerCase()
  for (const name of Object.keys(env)) {
    const value = env[name]
    if (value === undefined || !name.toLowerCase().startsWith(lowerPrefix)) continue
    const keypath = name.substring(prefix.length).split('__').filter((k) => k !== '')
    let cursor: unknown = obj
    keypath.forEach((key, i) => {
      // rc stops descending once it meets a plain value (`ssb_a=1` then `ssb_a__b=2`).
      if (typeof cursor !== 'object' || cursor === null || key === '__proto__') return
      const node = cursor as PlainObject
      if (i === keypath.length - 1) node[key] = value
      if (!Object.hasOwn(node, key)) node[key] = {}
      cursor = node[key]
    })
  }
  return obj
}

export function loadRc(input: RcInput): PlainObject {
  const { appName, readFile, cwd } = input
  const env = envConfig(appName + '_', input.env)
  const configs: PlainObject[] = []
  const configFiles: string[] = []

  const addConfigFile = (file: unknown): void => {
    if (typeof file !== 'string' || configFiles.includes(file)) return
    const content = readFile(cwd === undefined ? join(file) : resolve(cwd, file))
    if (!content) return
    configs.push(parseConfigText(content, file))
    configFiles.push(file)
  }

  addConfigFile(join('/etc', appName, 'config'))
  addConfigFile(join('/etc', appName + 'rc'))
  const home = input.homeDir
  addConfigFile(join(home, '.config', appName, 'config'))
  addConfigFile(join(home, '.config', appName))
  addConfigFile(join(home, '.' + appName, 'config'))
  addConfigFile(join(home, '.' + appName + 'rc'))
  if (cwd !== undefined) addConfigFile(findUp(cwd, '.' + appName + 'rc', readFile))
  if (env['config']) addConfigFile(env['config'])
  if (input.argv['config']) addConfigFile(input.argv['config'])

  return deepMerge(
    input.overrides,
    ...configs,
    env,
    input.argv,
    configFiles.length > 0 ? { configs: configFiles, config: configFiles[configFiles.length - 1] } : undefined,
  )
}

// rc's `find`: the nearest `name` in `start` or an ancestor. rc stops at the first path that
// exists (stat); with only `readFile` to go on we stop at the first readable, non-empty one.
function findUp(start: string, name: string, readFile: ReadFile): string | undefined {
  let dir = resolve(start)
  for (;;) {
    const file = join(dir, name)
    if (readFile(file)) return file
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

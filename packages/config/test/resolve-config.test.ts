import { describe, expect, test } from 'vitest'
import { ConfigError, SSB_CAPS, configNumber, parseArgv, resolveConfig, type NetworkInterfaces } from '../src/index.js'

const noFiles = () => undefined
const loopbackOnly: NetworkInterfaces = { lo: [{ address: '127.0.0.1', internal: true }] }

function filesFrom(files: Record<string, string>) {
  const reads: string[] = []
  return {
    reads,
    readFile: (path: string) => {
      reads.push(path)
      return files[path]
    },
  }
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as ConfigError).code
  }
  return undefined
}

describe('resolveConfig', () => {
  test('README example: defaults, a config file, env and argv', () => {
    const config = resolveConfig({
      homeDir: '/home/alice',
      argv: ['--port', '8009', '--ws.port', '8990', '--no-gossip.local', '--logging.level=info'],
      env: { ssb_friends__hops: '3' },
      readFile: (path) => (path === '/home/alice/.ssb/config' ? '{ "host": "127.0.0.1" }' : undefined),
      networkInterfaces: {},
    })
    expect(config.path).toBe('/home/alice/.ssb')
    expect(config.host).toBe('127.0.0.1')
    expect(config.port).toBe(8009)
    expect(config.ws.port).toBe(8990)
    expect(config.gossip).toEqual({ connections: 3, local: false })
    expect(config.friends).toEqual({ dunbar: 150, hops: '3' }) // env values stay strings, as in ssb-config
    expect(config.logging.level).toBe('info')
    expect(config.caps.shs).toBe('1KHLiKZvAvjbY1ziZEHMXawbCEIM6qwjCDm3VYRan/s=')
    expect(config.configs).toEqual(['/home/alice/.ssb/config'])
    expect(config.connections.incoming['net']).toEqual([
      { host: '127.0.0.1', port: 8009, scope: ['device', 'local', 'public'], transform: 'shs' },
    ])
  })

  test('defaults', () => {
    const config = resolveConfig({ homeDir: '/h', readFile: noFiles, networkInterfaces: loopbackOnly })
    expect(config).toEqual({
      path: '/h/.ssb',
      party: true,
      timeout: 0,
      pub: true,
      local: true,
      friends: { dunbar: 150, hops: 2 },
      gossip: { connections: 3 },
      connections: {
        outgoing: { net: [{ transform: 'shs' }], onion: [{ transform: 'shs' }] },
        incoming: {
          net: [{ host: '127.0.0.1', port: 8008, scope: ['device'], transform: 'shs' }],
          ws: [{ host: '127.0.0.1', port: 8989, scope: ['device'], transform: 'shs' }],
          unix: [{ scope: 'device', transform: 'noauth' }],
        },
      },
      timers: { connection: 0, reconnect: 5000, ping: 300000, handshake: 5000 },
      caps: { ...SSB_CAPS },
      master: [],
      logging: { level: 'notice' },
      _: [],
      host: '127.0.0.1',
      port: 8008,
      ws: { host: '127.0.0.1', port: 8989, scope: ['device'], transform: 'shs' },
    })
  })

  test('reads exactly the files rc reads, in order, and nothing else', () => {
    const { reads, readFile } = filesFrom({})
    resolveConfig({ homeDir: '/h', cwd: '/w/p', readFile, networkInterfaces: {}, env: { ssb_config: 'e.json' }, argv: ['--config', '/a.json'] })
    expect(reads).toEqual([
      '/etc/ssb/config',
      '/etc/ssbrc',
      '/h/.config/ssb/config',
      '/h/.config/ssb',
      '/h/.ssb/config',
      '/h/.ssbrc',
      '/w/p/.ssbrc',
      '/w/.ssbrc',
      '/.ssbrc',
      '/w/p/e.json',
      '/a.json',
    ])
  })

  test('--path does not move the config file: rc reads ~/.{app}/config, not {path}/config', () => {
    const { reads, readFile } = filesFrom({ '/data/config': '{"port":1}' })
    const config = resolveConfig({ homeDir: '/h', argv: ['--path', '/data'], readFile, networkInterfaces: {} })
    expect(config.path).toBe('/data')
    expect(reads).not.toContain('/data/config')
    expect(config.configs).toBeUndefined()
  })

  test('the nearest .ssbrc above cwd wins; later layers override earlier', () => {
    const { readFile } = filesFrom({
      '/etc/ssbrc': 'timeout = 1\npub = false',
      '/w/.ssbrc': '{"timeout": 2, "local": false}',
      '/.ssbrc': '{"timeout": 3, "local": true, "pub": true}',
    })
    const config = resolveConfig({ homeDir: '/h', cwd: '/w/p', readFile, networkInterfaces: {} })
    expect(config.timeout).toBe(2)
    expect(config.pub).toBe(false)
    expect(config.local).toBe(false)
    expect(config.configs).toEqual(['/etc/ssbrc', '/w/.ssbrc'])
    expect(config.config).toBe('/w/.ssbrc')
  })

  test('appName comes from options, else env ssb_appname, else ssb', () => {
    const env = { ssb_appname: 'testnet', testnet_port: '9000', ssb_port: '1' }
    const fromEnv = resolveConfig({ homeDir: '/h', env, readFile: noFiles, networkInterfaces: loopbackOnly })
    expect(fromEnv.path).toBe('/h/.testnet')
    expect(fromEnv.port).toBe('9000')
    const explicit = resolveConfig({ homeDir: '/h', env, appName: 'x', readFile: noFiles, networkInterfaces: loopbackOnly })
    expect(explicit.path).toBe('/h/.x')
    expect(explicit.port).toBe(8008)
  })

  test('interfaces get scopes device/local/public; scoped IPv6 is skipped', () => {
    const config = resolveConfig({
      homeDir: '/h',
      readFile: noFiles,
      networkInterfaces: () => ({
        lo: [{ address: '127.0.0.1', internal: true }],
        eth0: [
          { address: '192.168.1.5', internal: false },
          { address: 'fe80::1:2', internal: false, scopeid: 2 },
          { address: '203.0.113.7', internal: false },
        ],
      }),
    })
    expect(config.connections.incoming['net']!.map((t) => [t.host, t.scope])).toEqual([
      ['127.0.0.1', ['device']],
      ['192.168.1.5', ['local']],
      ['203.0.113.7', ['public']],
    ])
    expect(config.host).toBe('203.0.113.7') // public first, then local, then device
  })

  test('does not mutate overrides', () => {
    const overrides = { caps: { shs: 'x' }, master: ['@a'] }
    const config = resolveConfig({ homeDir: '/h', overrides, readFile: noFiles, networkInterfaces: {} })
    expect(overrides).toEqual({ caps: { shs: 'x' }, master: ['@a'] })
    expect(config.caps).toEqual({ ...SSB_CAPS, shs: 'x' })
    config.master.push('@b')
    expect(overrides.master).toEqual(['@a'])
  })
})

describe('errors', () => {
  test('CONFIG_BAD_JSON names the file', () => {
    const readFile = (p: string) => (p === '/h/.ssb/config' ? '{ "port": 1, }' : undefined)
    let caught: unknown
    try {
      resolveConfig({ homeDir: '/h', readFile, networkInterfaces: {} })
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(ConfigError)
    expect((caught as ConfigError).code).toBe('CONFIG_BAD_JSON')
    expect((caught as ConfigError).path).toBe('/h/.ssb/config')
    expect((caught as ConfigError).message).toContain('/h/.ssb/config')
  })

  test('CONFIG_CONFLICT when legacy keys disagree with connections.incoming', () => {
    const overrides = { connections: { incoming: { net: [{ scope: 'public', host: '127.0.0.1', port: 8010 }] } } }
    expect(codeOf(() => resolveConfig({ homeDir: '/h', overrides, argv: ['--port', '8009'], readFile: noFiles }))).toBe('CONFIG_CONFLICT')
    expect(codeOf(() => resolveConfig({ homeDir: '/h', overrides, argv: ['--host', '::1'], readFile: noFiles }))).toBe('CONFIG_CONFLICT')
  })

  test('CONFIG_BAD_CONNECTIONS where ssb-config crashes with a TypeError', () => {
    const run = (overrides: Record<string, unknown>) => () => resolveConfig({ homeDir: '/h', overrides, readFile: noFiles, networkInterfaces: {} })
    expect(codeOf(run({ connections: { incoming: { net: [{ host: 'x' }] } } }))).toBe('CONFIG_BAD_CONNECTIONS')
    expect(codeOf(run({ connections: { incoming: { net: { scope: 'public' } } } }))).toBe('CONFIG_BAD_CONNECTIONS')
    expect(codeOf(run({ connections: null }))).toBe('CONFIG_BAD_CONNECTIONS')
    // an entry ssb-config never inspects may lack a scope
    expect(codeOf(run({ connections: { incoming: { net: [{ scope: 'public', host: 'h' }, {}] } } }))).toBeUndefined()
  })

  test('CONFIG_BAD_OPTIONS', () => {
    expect(codeOf(() => resolveConfig({ homeDir: '' }))).toBe('CONFIG_BAD_OPTIONS')
    expect(codeOf(() => resolveConfig({ homeDir: '/h', argv: [1 as unknown as string] }))).toBe('CONFIG_BAD_OPTIONS')
    expect(codeOf(() => resolveConfig({ homeDir: '/h', overrides: [] as unknown as Record<string, unknown> }))).toBe('CONFIG_BAD_OPTIONS')
  })

  test('configNumber', () => {
    expect(configNumber(8008, 'port')).toBe(8008)
    expect(configNumber('8009', 'port')).toBe(8009)
    expect(codeOf(() => configNumber('', 'port'))).toBe('CONFIG_BAD_VALUE')
    expect(codeOf(() => configNumber('80x', 'port'))).toBe('CONFIG_BAD_VALUE')
    expect(codeOf(() => configNumber(undefined, 'port'))).toBe('CONFIG_BAD_VALUE')
  })
})

describe('parseArgv', () => {
  test('minimist forms', () => {
    expect(parseArgv(['start', '--port', '8009', '--ws.port=8990', '--no-gossip.local', '--verbose', '-x', '5', '--', '--raw'])).toEqual({
      _: ['start', '--raw'],
      port: 8009,
      ws: { port: 8990 },
      gossip: { local: false },
      verbose: true,
      x: 5,
    })
    expect(parseArgv(['--a', 'true', '--b', 'x', '--b', 'y', '--host', '127.0.0.1', '7'])).toEqual({
      _: [7],
      a: 'true', // without boolean options minimist takes the next word as the value
      b: ['x', 'y'],
      host: '127.0.0.1',
    })
  })

  test('prototype keys are ignored', () => {
    const parsed = parseArgv(['--__proto__.polluted', '1', '--constructor', '2'])
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    expect(Object.keys(parsed)).toEqual(['_'])
  })
})

// Runs the real ssb-config 3.4.6 (in a child process, with its own HOME/env/cwd/argv) and
// resolveConfig on the same inputs, and asserts the results are deep-equal. The only field
// left out is `keys` (ssb-config loads or creates `{path}/secret`; we do not).
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ConfigError, resolveConfig } from '../src/index.js'

interface Case {
  name: string
  appName?: string
  argv: string[]
  env: Record<string, string>
  cwd: string
  overrides: Record<string, unknown>
  files?: Record<string, string>
  expectError?: string
}

type Outcome = { config: unknown } | { error: { name: string; message: string } }

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..')
let root: string
let cases: Case[]
let reference: Outcome[]

function buildCases(root: string): Case[] {
  const home = join(root, 'home')
  const base = (name: string, extra: Partial<Case>): Case => ({
    name,
    argv: [],
    env: { HOME: home },
    cwd: root,
    overrides: {},
    ...extra,
  })
  const ownHome = (name: string) => join(root, name)
  return [
    base('defaults only (no host: interfaces enumerated)', {}),
    base('argv host/port/ws/logging/no-gossip.local/path', {
      argv: ['--host', '127.0.0.1', '--port', '8009', '--ws.port', '8990', '--no-gossip.local', '--logging.level=info', '--path', join(root, 'data')],
    }),
    base('env vars: strings, __ nesting, any-case prefix', {
      env: { HOME: home, ssb_port: '8009', ssb_friends__hops: '3', SSB_GOSSIP__CONNECTIONS: '5', ssb_host: 'localhost', ssb___timers__: '' },
    }),
    base('argv beats env beats ~/.ssb/config (JSON with comments)', {
      env: { HOME: ownHome('h1'), ssb_port: '8009', ssb_timers__ping: '1000' },
      argv: ['--port', '8010', '--caps.shs', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', 'start', '42'],
      files: {
        [join(ownHome('h1'), '.ssb', 'config')]:
          '{\n  // comment\n  "host": "127.0.0.1", "port": 7000, /* more */ "timers": { "handshake": 9000 },\n  "master": ["@a.ed25519"], "gossip": { "local": false }\n}\n',
      },
    }),
    base('INI ~/.ssbrc and ~/.config/ssb/config, ~/.config/ssb', {
      env: { HOME: ownHome('h2') },
      files: {
        [join(ownHome('h2'), '.ssbrc')]: 'host = 127.0.0.1\nport = 9000\npub = false\n; comment\n[friends]\nhops = 1\n[logging]\nlevel=info\n',
        [join(ownHome('h2'), '.config', 'ssb', 'config')]: 'timeout=30000\n[gossip]\nconnections=1\n',
        [join(ownHome('h2'), '.config', 'ssb.keep')]: '',
      },
    }),
    base('ssb_appname selects prefix, dirs and files', {
      env: { HOME: ownHome('h3'), ssb_appname: 'testnet', ssb_port: '1111', testnet_port: '2222', TESTNET_HOST: '127.0.0.1' },
      files: { [join(ownHome('h3'), '.testnet', 'config')]: '{"caps":{"shs":"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB="}}' },
    }),
    base('explicit appName', { appName: 'other', env: { HOME: home, other_host: '::1' } }),
    base('overrides are the lowest layer', {
      overrides: { port: 9999, host: '127.0.0.1', caps: { sign: 'xyz' }, friends: { hops: 1 } },
      argv: ['--friends.hops', '4'],
    }),
    base('.ssbrc found upward from cwd, ssb_config and --config files', {
      env: { HOME: ownHome('h4'), ssb_config: join(root, 'env.json') },
      cwd: join(root, 'proj', 'a', 'b'),
      argv: ['--config', join(root, 'argv.json')],
      files: {
        [join(root, 'proj', '.ssbrc')]: '{"host":"127.0.0.1","logging":{"level":"debug"},"timeout":1}',
        [join(root, 'proj', 'a', 'b', 'keep')]: '',
        [join(root, 'env.json')]: '{"timeout":2,"port":1234}',
        [join(root, 'argv.json')]: '{"timeout":3}',
      },
    }),
    base('explicit connections.incoming wins over legacy keys', {
      env: { HOME: ownHome('h5') },
      files: {
        [join(ownHome('h5'), '.ssb', 'config')]: JSON.stringify({
          connections: {
            incoming: {
              net: [
                { scope: 'device', host: 'localhost', port: 8123, transform: 'shs' },
                { scope: 'public', external: ['example.com'], transform: 'shs', host: '0.0.0.0' },
              ],
              ws: [{ scope: ['local', 'device'], host: '127.0.0.1', transform: 'shs' }],
            },
          },
        }),
      },
    }),
    base('argv edge cases: --a=b, booleans, numbers, short flags, --', {
      argv: ['--host=127.0.0.1', '--pub', 'false', '--local', '--x', '0x10', '-vn', '5', '--y.z', '1e3', '--', '--not-a-flag'],
    }),
    base('conflict: --port vs connections.incoming', {
      env: { HOME: ownHome('h6') },
      argv: ['--port', '8009'],
      files: {
        [join(ownHome('h6'), '.ssb', 'config')]: '{"connections":{"incoming":{"net":[{"scope":"public","host":"127.0.0.1","port":8010}]}}}',
      },
      expectError: 'CONFIG_CONFLICT',
    }),
    base('bad JSON in ~/.ssb/config', {
      env: { HOME: ownHome('h7') },
      files: { [join(ownHome('h7'), '.ssb', 'config')]: '{ "port": 8009, }' },
      expectError: 'CONFIG_BAD_JSON',
    }),
  ]
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ssb-config-compare-'))
  cases = buildCases(root)
  for (const c of cases) {
    mkdirSync(c.cwd, { recursive: true })
    mkdirSync(c.env['HOME']!, { recursive: true })
    for (const [file, text] of Object.entries(c.files ?? {})) {
      mkdirSync(dirname(file), { recursive: true })
      if (!file.endsWith('keep')) writeFileSync(file, text)
    }
  }
  const input = JSON.stringify(cases.map(({ appName, argv, env, cwd, overrides }) => ({ appName, argv, env, cwd, overrides })))
  const out = execFileSync(process.execPath, [join(pkgDir, 'test/fixtures/ssb-config-child.cjs'), pkgDir], {
    input,
    encoding: 'utf8',
    env: {},
  })
  reference = JSON.parse(out) as Outcome[]
})

afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

describe('resolveConfig matches ssb-config 3.4.6', () => {
  test('the reference ran every case', () => {
    expect(reference).toHaveLength(cases.length)
  })

  for (const [i, name] of buildCases('/x').map((c, i) => [i, c.name] as const)) {
    test(name, () => {
      const c = cases[i]!
      const ref = reference[i]!
      const run = () =>
        resolveConfig({ appName: c.appName, argv: c.argv, env: c.env, homeDir: c.env['HOME']!, cwd: c.cwd, overrides: c.overrides })
      if (c.expectError !== undefined) {
        expect('error' in ref).toBe(true)
        expect(run).toThrow(ConfigError)
        try {
          run()
        } catch (err) {
          expect((err as ConfigError).code).toBe(c.expectError)
        }
        return
      }
      expect(ref).toHaveProperty('config')
      expect(JSON.parse(JSON.stringify(run()))).toEqual((ref as { config: unknown }).config)
    })
  }
})

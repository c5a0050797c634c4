import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeys } from '@ssb/keys'
import { silentLogger, startServer, type SsbServer } from '@ssb/server'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { main } from '../src/main.js'
import { formatPeers } from '../src/peers.js'
import type { Io } from '../src/io.js'

let home: string
let path: string
let server: SsbServer

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'ssb-cli-peers-'))
  path = join(home, '.ssb')
  server = await startServer({ path, host: '127.0.0.1', port: 0, gossip: { connections: 0 } }, { logger: silentLogger })
})

afterAll(async () => {
  await server?.close()
  await rm(home, { recursive: true, force: true })
})

function capture(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (t: string) => void (io.stdout += t),
    err: (t: string) => void (io.stderr += t),
    write: async (c: string | Uint8Array) => void (io.stdout += typeof c === 'string' ? c : Buffer.from(c).toString()),
    isTTY: false,
    stdinIsTTY: false,
    stdin: async function* (): AsyncGenerator<Uint8Array> {},
  }
  return io
}

const run = async (argv: string[]) => {
  const io = capture()
  const code = await main({ argv: [...argv, '--path', path], env: { HOME: home }, homeDir: home, cwd: home }, io)
  return { code, ...io }
}

test('ssb-server peers prints the gossip table; --json prints gossip.peers as is', async () => {
  expect((await run(['peers'])).stdout).toBe('no known peers\n')
  const gossip = server.subsystem('gossip') as unknown as { table: { add(address: unknown, source: string): unknown } }
  const k1 = generateKeys()
  const k2 = generateKeys()
  gossip.table.add({ host: '10.0.0.7', port: 8008, key: k1.id }, 'pub')
  gossip.table.add(`net:127.0.0.1:9~shs:${k2.public.replace(/\.ed25519$/, '')}`, 'seed')
  const table = await run(['peers'])
  expect(table.code).toBe(0)
  const lines = table.stdout.trimEnd().split('\n')
  expect(lines[0]).toMatch(/^ADDRESS\s+SOURCE\s+STATE\s+FAILURES\s+SINCE$/)
  expect(lines).toHaveLength(3)
  expect(table.stdout).toContain(`net:10.0.0.7:8008~shs:${k1.public.replace(/\.ed25519$/, '')}  pub`)
  expect(table.stdout).toMatch(/seed\s+-\s+0\s+-/)
  const json = await run(['peers', '--json'])
  const parsed = JSON.parse(json.stdout) as Array<{ key: string }>
  expect(parsed.map((p) => p.key).sort()).toEqual([k1.id, k2.id].sort())
})

test('formatPeers puts connected peers first and shows how long ago the state changed', () => {
  const now = 1_000_000
  const out = formatPeers(
    [
      { address: 'net:a:1~shs:x', source: 'pub', failure: 3, stateChange: now - 90_000 },
      { address: 'net:b:1~shs:y', source: 'local', state: 'connected', failure: 0, stateChange: now - 5000 },
    ],
    now,
  )
  const lines = out.trimEnd().split('\n')
  expect(lines[1]).toMatch(/^net:b:1~shs:y\s+local\s+connected\s+0\s+5s$/)
  expect(lines[2]).toMatch(/^net:a:1~shs:x\s+pub\s+-\s+3\s+90s$/)
  expect(formatPeers({ not: 'a list' })).toBe('{\n  "not": "a list"\n}\n')
})

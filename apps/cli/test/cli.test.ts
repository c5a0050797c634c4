import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type CliServer, freePort, type Run, runCli, startCli } from './helpers.js'

let home: string
let path: string
let port: number
let server: CliServer | undefined

const run = (args: string[], input?: string): Promise<Run> => runCli(home, args, input)

/** Parses muxrpcli stream output: JSON values separated by blank lines. */
function parseStream(out: string): unknown[] {
  return out
    .split(/\n\n+/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => JSON.parse(s))
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'ssb-cli-'))
  path = join(home, '.ssb')
  port = await freePort()
  const wsPort = await freePort()
  server = await startCli(home, ['--host', '127.0.0.1', '--port', String(port), '--ws.port', String(wsPort), '--logging.level=info'])
  const { out } = server
  expect(out).toMatch(/^ssb-server \S+ .*\.ssb logging\.level:info/m)
  expect(out).toMatch(/^my key ID: .+=\.ed25519$/m)
}, 60_000)

afterAll(async () => {
  await server?.stop()
  await rm(home, { recursive: true, force: true })
})

describe('the seed bash example against our binary', () => {
  let feedId: string

  test('whoami', async () => {
    const r = await run(['whoami'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    feedId = JSON.parse(r.stdout).id
    expect(feedId).toMatch(/^@.{43}=\.ed25519$/)
  })

  test('publish --type post --text "My First Post!"', async () => {
    const r = await run(['publish', '--type', 'post', '--text', 'My First Post!'])
    expect(r.code).toBe(0)
    const msg = JSON.parse(r.stdout)
    expect(msg.key).toMatch(/^%.{43}=\.sha256$/)
    expect(msg.value.content).toEqual({ type: 'post', text: 'My First Post!' })
    expect(msg.value.author).toBe(feedId)
    const r2 = await run(['publish', '--type', 'post', '--text', 'second', '--content.nested', 'x'])
    expect(r2.code).toBe(0)
  })

  test('feed, log and hist --id stream every message', async () => {
    const feed = parseStream((await run(['feed'])).stdout) as Array<{ value: { content: { text: string } } }>
    expect(feed.map((m) => m.value.content.text).sort()).toEqual(['My First Post!', 'second'])
    const log = parseStream((await run(['log'])).stdout) as Array<{ value: { sequence: number } }>
    expect(log.map((m) => m.value.sequence)).toEqual([1, 2])
    const hist = parseStream((await run(['hist', '--id', feedId])).stdout) as Array<{ value: { sequence: number } }>
    expect(hist.map((m) => m.value.sequence)).toEqual([1, 2])
    const byType = parseStream((await run(['messagesByType', '--type', 'post'])).stdout)
    expect(byType).toHaveLength(2)
  })

  test('blobs.add < file prints the id; blobs.get writes the bytes', async () => {
    const text = 'hello blob '.repeat(5000)
    const added = await run(['blobs.add'], text)
    expect(added.stderr).toBe('')
    const id = added.stdout.trim()
    expect(id).toBe('&' + createHash('sha256').update(text).digest('base64') + '.sha256')
    const got = await run(['blobs.get', id])
    expect(got.code).toBe(0)
    expect(got.stdout).toBe(text)
  })

  test('a JSON argument piped in with `.` or `--`, as muxrpcli takes it', async () => {
    const published = await run(['publish', '.'], JSON.stringify({ type: 'piped', text: 'from stdin', nested: { n: [1, 2] } }))
    expect(published.code).toBe(0)
    expect(JSON.parse(published.stdout).value.content).toEqual({ type: 'piped', text: 'from stdin', nested: { n: [1, 2] } })
    const query = JSON.stringify({ query: [{ $filter: { value: { content: { type: 'piped' } } } }] })
    for (const args of [['query.read', '.'], ['query.read', '--']]) {
      const read = await run(args, query)
      expect(read.code).toBe(0)
      const items = read.stdout.trim().split('\n\n').map((x) => JSON.parse(x) as { value: { content: { type: string } } })
      expect(items.map((m) => m.value.content.type)).toEqual(['piped'])
    }
    const bad = await run(['publish', '.'], '{"type": ')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/the argument on stdin is not valid JSON/)
  })

  test('--help, unknown commands and a stopped server give clear messages', async () => {
    const help = await run(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/ssb-server start/)
    const startHelp = await run(['start', '--help'])
    expect(startHelp.stdout).toMatch(/--logging.level/)
    const methodHelp = await run(['publish', '--help'])
    expect(methodHelp.stdout).toMatch(/publish \(async\)/)
    const unknown = await run(['frobnicate'])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/unknown command: frobnicate/)
    const noServer = await run(['whoami', '--port', String(await freePort()), '--path', join(home, 'nobody')])
    expect(noServer.code).toBe(1)
    expect(noServer.stderr).toMatch(/no manifest file|Could not connect/)
  })
})

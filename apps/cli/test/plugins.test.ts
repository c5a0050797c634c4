// Plugins from the config file, through the real binary: the example plugin's methods are
// callable by name from the CLI, and a plugin that throws in init stops `start` with its name.
import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { freePort, root, runCli as run, startCli } from './helpers.js'

const examplePlugin = join(root, 'apps', 'server', 'examples', 'tags-plugin.ts')

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function home(config: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ssb-cli-plugins-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, '.ssb'))
  writeFileSync(join(dir, '.ssb', 'config'), JSON.stringify(config))
  return dir
}

async function start(homeDir: string, port: number): Promise<void> {
  const server = await startCli(homeDir, ['--host', '127.0.0.1', '--port', String(port), '--ws.port', String(await freePort())])
  cleanups.push(() => server.stop())
}

test('a plugin listed in ~/.ssb/config is started and its methods work from the CLI by name', async () => {
  const h = await home({ plugins: [examplePlugin] })
  await start(h, await freePort())
  const pub = await run(h, ['publish', '--type', 'post', '--text', 'cli #plugins work'])
  expect(pub.code).toBe(0)
  const list = await run(h, ['tags.list'])
  expect(list.stderr).toBe('')
  expect(JSON.parse(list.stdout)).toEqual([{ tag: 'plugins', count: 1 }])
  const count = await run(h, ['tags.count', 'plugins'])
  expect(count.stdout.trim()).toBe('1')
  const help = await run(h, ['tags.messages', '--help'])
  expect(help.code).toBe(0)
}, 60_000)

test('a plugin that throws in init stops start-up with a message naming it', async () => {
  const h = await home({})
  const broken = join(h, 'broken-plugin.mjs')
  writeFileSync(broken, `export default { name: 'exploding', manifest: { x: 'sync' }, init() { throw new Error('no database for me') } }\n`)
  writeFileSync(join(h, '.ssb', 'config'), JSON.stringify({ plugins: [broken] }))
  const r = await run(h, ['start', '--host', '127.0.0.1', '--port', String(await freePort())])
  expect(r.code).toBe(1)
  expect(r.stderr).toContain('plugin "exploding": init failed: no database for me')
}, 60_000)

test('a plugin module that does not exist is named in the error', async () => {
  const h = await home({ plugins: ['ssb-no-such-plugin'] })
  const r = await run(h, ['start', '--host', '127.0.0.1', '--port', String(await freePort())])
  expect(r.code).toBe(1)
  expect(r.stderr).toContain('plugin "ssb-no-such-plugin": could not be loaded')
}, 60_000)

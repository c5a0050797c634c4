import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { generateKeys } from '@ssb/keys'
import { connectClient, PluginError, Server, silentLogger, startServer, type Plugin } from '@ssb/server'
import { tagsOf, tagsPlugin } from '../examples/tags-plugin.js'
import { collect, tempDir, testServer, type TestServer } from './helpers.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const examplePlugin = join(root, 'apps', 'server', 'examples', 'tags-plugin.ts')

/** A plugin with every call type, to check the adapter (this = caller, sink/duplex get the input). */
const echoPlugin: Plugin = {
  name: 'echo',
  version: '0.1.0',
  manifest: { whoCalls: 'sync', later: 'async', count: 'source', sum: 'sink', double: 'duplex', nested: { hello: 'sync' } },
  permissions: { anonymous: { allow: ['whoCalls'] } },
  init() {
    return {
      whoCalls(this: { id: string; isMaster: boolean }) {
        return { id: this.id, isMaster: this.isMaster }
      },
      later: async (x: unknown) => ({ got: x }),
      count: (n: number) => Array.from({ length: n }, (_, i) => i),
      sum: () => async (input: AsyncIterable<number>) => {
        let total = 0
        for await (const x of input) total += x
        sums.push(total)
      },
      double: () =>
        async function* (input: AsyncIterable<number>) {
          for await (const x of input) yield x * 2
        },
      nested: { hello: (name: string) => `hello ${name}` },
    }
  },
}
const sums: number[] = []

describe('plugins on a running server', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await testServer({ plugins: [tagsPlugin, echoPlugin] })
    await t.server.db.publish({ type: 'post', text: 'first #ssb post' })
    await t.server.db.publish({ type: 'post', text: 'second #SSB #plugins' })
  })
  afterAll(() => t?.stop())

  test('plugin methods are in the manifest, in manifest.json and callable in-process', async () => {
    const manifest = t.server.getManifest()
    expect(manifest.tags).toEqual({ list: 'sync', count: 'async', messages: 'source' })
    expect(manifest.echo).toMatchObject({ nested: { hello: 'sync' } })
    expect(JSON.parse(readFileSync(join(t.dir, 'manifest.json'), 'utf8')).tags).toEqual(manifest.tags)
    const tags = t.server.plugin<{ count(tag: string): Promise<number> }>('tags')!
    await expect.poll(() => tags.count('ssb')).toBe(2)
    expect((t.server as unknown as { tags: unknown }).tags).toBe(tags)
  })

  test('every call type works over RPC for the master, with this = the caller', async () => {
    const client = await connectClient({ kind: 'unix', path: join(t.dir, 'socket') }, { keys: t.keys })
    try {
      expect(await client.rpc.call(['echo', 'whoCalls'], [])).toEqual({ id: t.keys.id, isMaster: true })
      expect(await client.rpc.call(['echo', 'later'], [7])).toEqual({ got: 7 })
      expect(await collect(client.rpc.source(['echo', 'count'], [3]))).toEqual([0, 1, 2])
      expect(await client.rpc.call(['echo', 'nested', 'hello'], ['you'])).toBe('hello you')
      // muxrpc ends a duplex when either side ends, so the input stays open until the replies are in.
      let gotAll!: () => void
      const allIn = new Promise<void>((r) => (gotAll = r))
      const input = (async function* () {
        yield* [1, 2, 3]
        await allIn
      })()
      const doubled: unknown[] = []
      for await (const x of client.rpc.duplex(['echo', 'double'], [], input)) {
        doubled.push(x)
        if (doubled.length === 3) gotAll()
      }
      expect(doubled).toEqual([2, 4, 6])
      await client.rpc.sink(['echo', 'sum'], [], [1, 2, 3, 4])
      await expect.poll(() => sums).toContain(10)
      const texts = (await collect(client.rpc.source(['tags', 'messages'], ['plugins']))).map(
        (m) => (m as { value: { content: { text: string } } }).value.content.text,
      )
      expect(texts).toEqual(['second #SSB #plugins'])
    } finally {
      await client.close()
    }
  })

  test('strangers may call only what the plugin lists as anonymous', async () => {
    const stranger = generateKeys()
    const client = await connectClient({ kind: 'net', host: '127.0.0.1', port: t.port, key: t.keys.id }, { keys: stranger, manifest: t.server.getManifest() })
    try {
      expect(await client.rpc.call(['echo', 'whoCalls'], [])).toEqual({ id: stranger.id, isMaster: false })
      expect(await client.rpc.call(['tags', 'list'], [])).toEqual([
        { tag: 'ssb', count: 2 },
        { tag: 'plugins', count: 1 },
      ])
      await expect(client.rpc.call(['tags', 'count'], ['ssb'])).rejects.toThrow(/is not in list of allowed methods/)
      await expect(client.rpc.call(['echo', 'later'], [1])).rejects.toThrow(/is not in list of allowed methods/)
    } finally {
      await client.close()
    }
  })

  test('a plugin method that throws answers with an error, the server keeps going', async () => {
    const client = await connectClient({ kind: 'unix', path: join(t.dir, 'socket') }, { keys: t.keys })
    try {
      await expect(client.rpc.call(['tags', 'count'], [42])).rejects.toThrow()
      expect(await client.rpc.call(['tags', 'count'], ['#ssb'])).toBe(2)
    } finally {
      await client.close()
    }
  })
})

describe('plugin loading and failures', () => {
  test('Server.use chains like secret-stack and the manifest is complete before ready()', async () => {
    const { dir, cleanup } = await tempDir()
    const server = Server.use(tagsPlugin).use(echoPlugin)({ path: dir, keys: generateKeys(), host: '127.0.0.1', port: 0 }, { logger: silentLogger })
    try {
      expect(Object.keys(server.getManifest())).toEqual(expect.arrayContaining(['tags', 'echo', 'publish', 'blobs']))
      await server.ready()
    } finally {
      await server.close()
      await cleanup()
    }
  })

  test('config.plugins module paths are loaded by startServer', async () => {
    const t = await testServer({ plugins: [examplePlugin] })
    try {
      expect(t.server.getManifest().tags).toBeDefined()
      await t.server.db.publish({ type: 'post', text: 'loaded from a #path' })
      await expect.poll(() => t.server.plugin<{ count(x: string): Promise<number> }>('tags')!.count('path')).toBe(1)
    } finally {
      await t.stop()
    }
  })

  test('a plugin that throws in init stops start-up with an error naming it, and frees the port', async () => {
    const broken: Plugin = {
      name: 'broken',
      manifest: { x: 'sync' },
      init() {
        throw new Error('database exploded')
      },
    }
    const { dir, cleanup } = await tempDir()
    try {
      const err = await startServer({ path: dir, keys: generateKeys(), host: '127.0.0.1', port: 0, plugins: [broken] }, { logger: silentLogger }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(PluginError)
      expect((err as Error).message).toBe('plugin "broken": init failed: database exploded')
      // The store was closed: a second server can open the same directory.
      const again = await startServer({ path: dir, keys: generateKeys(), host: '127.0.0.1', port: 0 }, { logger: silentLogger })
      await again.close()
    } finally {
      await cleanup()
    }
  })

  test.each([
    [{ manifest: {}, init: () => ({}) }, /needs a name/],
    [{ name: 'x', manifest: {} }, /plugin "x": init must be a function/],
    [{ name: 'x', manifest: { a: 'stream' }, init: () => ({}) }, /plugin "x": manifest entry a has type "stream"/],
    [{ name: 'manifest', init: () => ({}) }, /reserved/],
    [{ name: 'x', permissions: { anonymous: { allow: 'a' } }, init: () => ({}) }, /allow must be an array/],
  ])('a malformed plugin is refused at construction: %j', (plugin, message) => {
    expect(() => Server.use(plugin as unknown as Plugin)).toThrow(message)
  })

  test('a plugin may not replace a method the server or an earlier plugin has', async () => {
    const { dir, cleanup } = await tempDir()
    try {
      const clash: Plugin = { name: 'blobs', manifest: { get: 'source' }, init: () => ({ get: () => [] }) }
      expect(() => Server({ path: dir, keys: generateKeys(), plugins: [clash] })).toThrow(/method blobs\.get is already defined/)
    } finally {
      await cleanup()
    }
  })

  test('init() must return every method of its manifest', async () => {
    const { dir, cleanup } = await tempDir()
    try {
      const missing: Plugin = { name: 'half', manifest: { a: 'sync', b: 'async' }, init: () => ({ a: () => 1 }) }
      await expect(startServer({ path: dir, keys: generateKeys(), host: '127.0.0.1', port: 0, plugins: [missing] }, { logger: silentLogger })).rejects.toThrow(
        'plugin "half": init() returned no function for b (async)',
      )
    } finally {
      await cleanup()
    }
  })

  test('tagsOf finds tags in posts only, bounded', () => {
    expect(tagsOf({ type: 'post', text: '#a #B #a x#c' })).toEqual(['a', 'b'])
    expect(tagsOf({ type: 'about', text: '#a' })).toEqual([])
    expect(tagsOf({ type: 'post', text: Array.from({ length: 100 }, (_, i) => `#t${i}`).join(' ') })).toHaveLength(32)
  })
})

describe('the example and the CLI', () => {
  test('examples/plugin.ts runs and prints what the plugin indexed', async () => {
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@ssb/source', join(root, 'apps', 'server', 'examples', 'plugin.ts')], {
        cwd: root,
        env: { PATH: process.env.PATH },
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d) => (stdout += d))
      child.stderr.on('data', (d) => (stderr += d))
      child.once('error', reject)
      child.once('close', (code) => resolve({ code, stdout, stderr }))
    })
    expect(out.stderr).toBe('')
    expect(out.code).toBe(0)
    expect(out.stdout).toContain('in-process count #ssb: 2')
    expect(out.stdout).toContain('rpc list: [{"tag":"ssb","count":2},{"tag":"fun","count":1}]')
    expect(out.stdout).toContain('rpc messages #fun: ["plugins are #SSB #fun"]')
  }, 30_000)

})

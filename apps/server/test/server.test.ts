import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { generateKeys } from '@ssb/keys'
import { connectClient, CORE_MANIFEST, type SsbClient } from '@ssb/server'
import { collect, testServer, type TestServer } from './helpers.js'

const open: Array<{ close(): Promise<void> } | TestServer> = []
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await ('stop' in x ? x.stop() : x.close())
})

async function start(): Promise<TestServer> {
  const t = await testServer()
  open.push(t)
  return t
}

async function netClient(t: TestServer, keys = t.keys): Promise<SsbClient> {
  const c = await connectClient({ kind: 'net', host: '127.0.0.1', port: t.port, key: t.keys.id }, { keys, manifest: CORE_MANIFEST })
  open.push(c)
  return c
}

describe('Server', () => {
  test('writes manifest.json and answers whoami over TCP and the unix socket', async () => {
    const t = await start()
    const manifest = JSON.parse(readFileSync(join(t.dir, 'manifest.json'), 'utf8'))
    expect(manifest).toEqual(t.server.getManifest())
    expect(manifest.createHistoryStream).toBe('source')

    const net = await netClient(t)
    expect(await net.rpc.call('whoami', [])).toEqual({ id: t.keys.id })

    const unix = await connectClient({ kind: 'unix', path: join(t.dir, 'socket') }, { keys: t.keys })
    open.push(unix)
    expect(await unix.rpc.call('whoami', [])).toEqual({ id: t.keys.id })
    expect(unix.manifest).toEqual(manifest)
    expect(statSync(join(t.dir, 'socket')).mode & 0o777).toBe(0o600)
  })

  test('publish twice concurrently gives a valid chain, readable by history, log and feed streams', async () => {
    const t = await start()
    const c = await netClient(t)
    const [a, b] = (await Promise.all([
      c.rpc.call('publish', [{ type: 'post', text: 'one' }]),
      c.rpc.call('publish', [{ type: 'post', text: 'two' }]),
    ])) as Array<{ key: string; value: { sequence: number; previous: string | null } }>
    const bySeq = [a!, b!].sort((x, y) => x.value.sequence - y.value.sequence)
    expect(bySeq.map((m) => m.value.sequence)).toEqual([1, 2])
    expect(bySeq[0]!.value.previous).toBeNull()
    expect(bySeq[1]!.value.previous).toBe(bySeq[0]!.key)

    const hist = (await collect(c.rpc.source('createHistoryStream', [{ id: t.keys.id }]))) as Array<{ key: string }>
    expect(hist.map((m) => m.key)).toEqual(bySeq.map((m) => m.key))
    const fromTwo = await collect(c.rpc.source('createHistoryStream', [{ id: t.keys.id, seq: 2, keys: false }]))
    expect(fromTwo).toEqual([bySeq[1]!.value])
    const limited = (await collect(c.rpc.source('createHistoryStream', [{ id: t.keys.id, limit: 1 }]))) as Array<{ key: string }>
    expect(limited.map((m) => m.key)).toEqual([bySeq[0]!.key])

    const log = (await collect(c.rpc.source('createLogStream', [{}]))) as Array<{ key: string }>
    expect(log.map((m) => m.key)).toEqual(bySeq.map((m) => m.key))
    const feed = (await collect(c.rpc.source('createFeedStream', [{ reverse: true }]))) as Array<{ key: string }>
    expect(feed.map((m) => m.key).sort()).toEqual(bySeq.map((m) => m.key).sort())

    expect(await c.rpc.call('get', [bySeq[0]!.key])).toEqual(bySeq[0]!.value)
    expect(await c.rpc.call('latestSequence', [t.keys.id])).toBe(2)
    expect(await c.rpc.call('getVectorClock', [])).toEqual({ [t.keys.id]: 2 })
  })

  test('get of an unknown key and bad arguments answer with errors', async () => {
    const t = await start()
    const c = await netClient(t)
    await expect(c.rpc.call('get', ['%AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=.sha256'])).rejects.toThrow()
    await expect(c.rpc.call('get', ['not an id'])).rejects.toThrow(/message id/)
    await expect(c.rpc.call('publish', [{ text: 'no type' }])).rejects.toThrow(/type/)
    await expect(c.rpc.call('nope', [])).rejects.toThrow()
  })

  test('another key may replicate (createHistoryStream) but not publish or whoami', async () => {
    const t = await start()
    const owner = await netClient(t)
    await owner.rpc.call('publish', [{ type: 'post', text: 'public' }])
    const stranger = await netClient(t, generateKeys())
    const hist = await collect(stranger.rpc.source('createHistoryStream', [{ id: t.keys.id, keys: false }]))
    expect(hist).toHaveLength(1)
    await expect(stranger.rpc.call('publish', [{ type: 'post', text: 'x' }])).rejects.toThrow(/not in list of allowed methods|permission/i)
    await expect(stranger.rpc.call('whoami', [])).rejects.toThrow(/not in list of allowed methods|permission/i)
  })

  test('a configured master key gets full rights', async () => {
    const master = generateKeys()
    const t = await testServer({ master: [master.id] })
    open.push(t)
    const c = await netClient(t, master)
    expect(await c.rpc.call('whoami', [])).toEqual({ id: t.keys.id })
  })

  test('connect() dials another server with SHS; both sides see the connection', async () => {
    const a = await start()
    const b = await start()
    await b.server.db.publish({ type: 'post', text: 'from b' })
    const conn = await a.server.connect(`net:127.0.0.1:${b.port}~shs:${b.keys.public.replace(/\.ed25519$/, '')}`)
    expect(conn.id).toBe(b.keys.id)
    expect(conn.isClient).toBe(true)
    const hist = await collect(conn.rpc.source('createHistoryStream', [{ id: b.keys.id, keys: false }]))
    expect(hist).toHaveLength(1)
    expect(b.server.connections().some((c) => c.id === a.keys.id && !c.isClient)).toBe(true)
    const legacy = await a.server.connect(`127.0.0.1:${b.port}:${b.keys.id}`)
    expect(legacy.id).toBe(b.keys.id)
    await expect(a.server.connect('net:127.0.0.1:1~nope')).rejects.toThrow(/not a dialable address/)
  })
})

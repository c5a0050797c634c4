// The WebSocket transport against the JavaScript stack: the real ssb-client 4.9 dials OUR
// server with a `ws://…~shs:…` remote (multiserver picks its ws plugin from the address), and
// our server dials the real ssb-server 16 (ssb-ws) over ws.
import { afterAll, describe, expect, test } from 'vitest'
import { manifestEntry } from '@ssb/server'
import { call, closeClient, collect, connectClient, source, type SsbClient } from '../src/client.js'
import { startOurServer } from '../src/our-server.js'
import { startReference, type ReferencePeer } from '../src/reference.js'
import { pollUntil } from '../src/wait.js'

interface Msg {
  key: string
  value: { author: string; sequence: number; content: { type: string; text?: string } }
  timestamp: number
}

// Started at collection time so the manifest decides which cases run.
const ours = await startOurServer({ ws: { port: 0 } })
const hasQuery = manifestEntry(ours.manifest as never, ['query', 'read']) === 'source'
const pub = ours.keys.public.replace(/\.ed25519$/, '')
const wsPort = ours.server.wsPort!
const wsRemote = `ws://127.0.0.1:${wsPort}~shs:${pub}`
const clients: SsbClient[] = []
let reference: ReferencePeer | undefined

afterAll(async () => {
  for (const c of clients.splice(0)) await closeClient(c).catch(() => {})
  await reference?.stop()
  await ours.stop()
})

async function wsClient(): Promise<SsbClient> {
  const client = await connectClient({ remote: wsRemote, keys: ours.keys, manifest: ours.manifest })
  clients.push(client)
  return client
}

describe('ssb-client 4.9 over ws to our server', () => {
  test('our address lists net then ws, like ssb-server with ssb-ws', async () => {
    const client = await wsClient()
    const addr = await call<string>(client, 'address', 'device')
    expect(addr).toBe(`net:127.0.0.1:${ours.port}~shs:${pub};${wsRemote}`)
  })

  test('whoami, publish and createHistoryStream', async () => {
    const client = await wsClient()
    expect(await call(client, 'whoami')).toEqual({ id: ours.id })
    const published: Msg[] = []
    for (let i = 0; i < 30; i++) published.push(await call<Msg>(client, 'publish', { type: 'post', text: `ws ${i}` }))
    const history = await collect<Msg>(source(client, 'createHistoryStream', { id: ours.id }))
    expect(history.map((m) => m.key)).toEqual(published.map((m) => m.key))
    expect(history.map((m) => m.value)).toEqual(published.map((m) => m.value))
    // A big item: one message near the 8 KiB limit crosses several box-stream frames.
    const big = await call<Msg>(client, 'publish', { type: 'post', text: 'x'.repeat(7000) })
    const tail = await collect<Msg>(source(client, 'createHistoryStream', { id: ours.id, seq: big.value.sequence }))
    expect(tail.map((m) => m.key)).toEqual([big.key])
    const conn = ours.server.connections().find((c) => c.transport === 'ws')
    expect(conn?.isMaster).toBe(true)
  })

  test.skipIf(!hasQuery)('query.read', async () => {
    const client = await wsClient()
    await call(client, 'publish', { type: 'ws-query-test', text: 'find me' })
    const found = await collect<Msg>(source(client, 'query.read', { query: [{ $filter: { value: { content: { type: 'ws-query-test' } } } }] }))
    expect(found.map((m) => m.value.content)).toEqual([{ type: 'ws-query-test', text: 'find me' }])
  })

  test('a closed client leaves no connection behind', async () => {
    const client = await connectClient({ remote: wsRemote, keys: ours.keys, manifest: ours.manifest })
    expect(await call(client, 'whoami')).toEqual({ id: ours.id })
    const before = ours.server.connections().filter((c) => c.transport === 'ws').length
    await closeClient(client)
    await pollUntil(() => ours.server.connections().filter((c) => c.transport === 'ws').length === before - 1, {
      what: 'the ws connection to close on our side',
      timeoutMs: 10_000,
    })
  })
})

describe('our server dials ssb-server 16 over ws', () => {
  test('connect(ws://…~shs:…) and whoami', async () => {
    reference = await startReference({ config: { master: [ours.id] } })
    const ref = reference
    const refPub = ref.keys.public.replace(/\.ed25519$/, '')
    const refClient = await ref.client()
    // Same form on both sides: net, then ws (the reference adds its unix socket after them).
    const refAddr = await call<string>(refClient, 'address', 'device')
    expect(refAddr.split(';').slice(0, 2)).toEqual([`net:127.0.0.1:${ref.port}~shs:${refPub}`, `ws://127.0.0.1:${ref.wsPort}~shs:${refPub}`])
    const conn = await pollUntil(
      () => ours.server.connect(`ws://127.0.0.1:${ref.wsPort}~shs:${refPub}`).catch(() => null),
      { what: 'the reference ws listener', timeoutMs: 10_000, intervalMs: 100 },
    )
    expect(conn.transport).toBe('ws')
    expect(conn.id).toBe(ref.id)
    expect(await conn.rpc.call('whoami', [])).toEqual({ id: ref.id })
    await conn.rpc.close()
  })
})

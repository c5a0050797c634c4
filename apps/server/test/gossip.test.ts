// Gossip: servers find peers by themselves (pub messages, LAN beacons), survive bad peers, and
// stay within their caps. Real servers, real TCP and UDP — all on 127.0.0.1 / 127.255.255.255.
import { createSocket } from 'node:dgram'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer, type Server as NetServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { generateKeys } from '@ssb/keys'
import type { PeerRecord } from '@ssb/gossip'
import { afterEach, describe, expect, test } from 'vitest'
import type { Gossip } from '../src/gossip.js'
import { DEFAULT_MAX_HANDSHAKES } from '../src/listeners.js'
import { freePort, tempDir, testServer, type TestServer } from './helpers.js'
import { rawSocket, type RawSocket } from './raw-peer.js'

const LOOPBACK_BROADCAST = '127.255.255.255'
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {})
})

async function until<T>(check: () => T | Promise<T>, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const r = await check()
    if (r) return r
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await delay(50)
  }
}

async function server(gossip: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<TestServer> {
  const s = await testServer({ gossip: { interval: 100, backoffFactor: 200, backoffMax: 2000, ...gossip }, ...extra })
  cleanups.push(() => s.stop())
  return s
}

const gossipOf = (s: TestServer) => s.server.subsystem<Gossip>('gossip')!
const shsKey = (s: TestServer) => s.keys.public.replace(/\.ed25519$/, '')
const addressOf = (s: TestServer) => `net:127.0.0.1:${s.port}~shs:${shsKey(s)}`

async function hasFeed(s: TestServer, author: string, seq: number): Promise<boolean> {
  return (s.server.db.feedState(author)?.sequence ?? 0) >= seq
}

async function followAll(servers: TestServer[]): Promise<void> {
  for (const s of servers) {
    for (const o of servers) if (o !== s) await s.server.db.publish({ type: 'contact', contact: o.keys.id, following: true })
    await s.server.db.publish({ type: 'post', text: `hello from ${s.keys.id}` })
  }
}

describe('gossip RPC and manifest', () => {
  test("the manifest matches ssb-gossip 1.1's and the RPC manages the table", async () => {
    const a = await server()
    expect(a.server.manifest().gossip).toEqual({
      add: 'sync',
      remove: 'sync',
      connect: 'async',
      disconnect: 'async',
      changes: 'source',
      reconnect: 'sync',
      disable: 'sync',
      enable: 'sync',
      ping: 'duplex',
      get: 'sync',
      peers: 'sync',
      help: 'sync',
    })
    const b = await server({ connections: 0 })
    const conn = await b.server.connect(addressOf(a))
    // a stranger may ping but not manage the table
    await expect(conn.rpc.call(['gossip', 'peers'], [])).rejects.toThrow()
    await conn.rpc.close()

    const g = gossipOf(a)
    g.scheduler.setEnabled(false)
    const other = generateKeys()
    const legacy = `127.0.0.1:1:${other.id}`
    const added = (await callLocal(a, 'add', [legacy])) as PeerRecord
    expect(added).toMatchObject({ key: other.id, address: `net:127.0.0.1:1~shs:${other.public.replace(/\.ed25519$/, '')}`, source: 'manual' })
    expect(((await callLocal(a, 'peers', [])) as PeerRecord[]).map((p) => p.key)).toEqual([other.id])
    expect(await callLocal(a, 'add', [addressOf(a)])).toBeNull() // our own address
    await expect(callLocal(a, 'add', ['net:nope'])).rejects.toThrow(/gossip.add/)
    expect(await callLocal(a, 'remove', [other.id])).toBe(true)
    expect(await callLocal(a, 'peers', [])).toEqual([])
    expect(await callLocal(a, 'disable', ['local'])).toBe('disabled gossip type local')
    await expect(callLocal(a, 'enable', ['bogus'])).rejects.toThrow()
  })

  test('gossip.connect dials, the peer shows as connected in status, ping keeps it company', async () => {
    const a = await server({ connections: 0 })
    const b = await server({ connections: 0 })
    const changes: string[] = []
    const ac = new AbortController()
    const stream = (async () => {
      for await (const c of changesOf(a, ac.signal)) changes.push(c)
    })()
    const peer = (await callLocal(a, 'connect', [addressOf(b)])) as { state: string }
    expect(peer.state).toBe('connected')
    const status = a.server.status() as unknown as { gossip: Record<string, { state: string; source: string }> }
    expect(status.gossip[b.keys.id]).toMatchObject({ state: 'connected', source: 'manual', failure: 0, client: true })
    await until(() => (a.server.status() as unknown as { gossip: Record<string, { ebt: boolean }> }).gossip[b.keys.id]?.ebt, 'an EBT session with the peer')
    // the dialling side serves the first ping: an RTT sample arrives
    await until(() => gossipOf(a).table.get(b.keys.id)?.ping?.rtt.count, 'a ping round trip')
    await callLocal(a, 'disconnect', [b.keys.id])
    await until(() => gossipOf(a).table.get(b.keys.id)?.state === undefined, 'disconnect')
    ac.abort()
    await stream.catch(() => {})
    expect(changes).toEqual(expect.arrayContaining(['discover', 'connecting', 'connect', 'disconnect']))
  })
})

describe('the peer table on disk and under a pub flood', () => {
  test('gossip.json keeps manual and pub peers across a restart, not LAN ones', async () => {
    const { dir, cleanup } = await tempDir('ssb-gossip-restart-')
    cleanups.push(cleanup)
    const keys = generateKeys()
    const [m, l] = [generateKeys(), generateKeys()]
    const first = await testServer({ path: dir, keys, gossip: { connections: 0 } })
    gossipOf(first).table.add(`net:127.0.0.1:1~shs:${m.public.replace(/\.ed25519$/, '')}`, 'manual')
    gossipOf(first).table.add(`net:127.0.0.1:2~shs:${l.public.replace(/\.ed25519$/, '')}`, 'local')
    await first.stop() // closes the server (saving gossip.json) and removes only its own unused temp dir
    const saved = JSON.parse(await readFile(join(dir, 'gossip.json'), 'utf8')) as Array<{ key: string; source: string }>
    expect(saved.map((p) => [p.key, p.source])).toEqual([[m.id, 'manual']])
    const second = await testServer({ path: dir, keys, gossip: { connections: 0 } })
    cleanups.push(() => second.stop())
    expect(gossipOf(second).table.get(m.id)).toMatchObject({ source: 'manual', port: 1 })
    expect(gossipOf(second).table.get(l.id)).toBeUndefined()
  })

  test('a flood of pub messages with fresh keys cannot grow the table past gossip.maxPeers', async () => {
    const a = await server({ connections: 0, maxPeers: 50 })
    for (let i = 0; i < 300; i++) {
      const k = generateKeys()
      await a.server.db.publish({ type: 'pub', address: { host: '127.0.0.1', port: 1 + i, key: k.id } })
    }
    await until(() => gossipOf(a).table.size === 50, 'the table to fill')
    await delay(200)
    expect(gossipOf(a).table.size).toBe(50)
  })
})

/** Calls a gossip method in-process with master rights, as the local CLI would. */
async function callLocal(s: TestServer, method: string, args: unknown[]): Promise<unknown> {
  const fn = (gossipOf(s).api.gossip as Record<string, (a: unknown[], c: unknown) => unknown>)[method]!
  return await fn(args, { remoteId: s.keys.id, isMaster: true, signal: new AbortController().signal })
}

async function* changesOf(s: TestServer, signal: AbortSignal): AsyncIterable<string> {
  const fn = (gossipOf(s).api.gossip as Record<string, (a: unknown[], c: unknown) => AsyncIterable<{ type: string }>>)['changes']!
  for await (const c of fn([], { remoteId: s.keys.id, isMaster: true, signal })) yield c.type
}

describe('finding peers', () => {
  test('A knows B, B knows C (pub messages): all three end up with every feed, no manual connects', async () => {
    const [a, b, c] = [await server(), await server(), await server()]
    await followAll([a, b, c])
    await a.server.db.publish({ type: 'pub', address: { host: '127.0.0.1', port: b.port, key: b.keys.id } })
    await b.server.db.publish({ type: 'pub', address: addressOf(c) })
    const all = [a, b, c]
    const latest = await Promise.all(all.map((s) => s.server.db.latestSequence(s.keys.id)))
    await until(
      async () => {
        for (const s of all) for (const [i, o] of all.entries()) if (!(await hasFeed(s, o.keys.id, latest[i]!))) return false
        return true
      },
      'every feed on every server',
      40_000,
    )
    // A learnt C's address from B's feed, C learnt B's from A's: nobody was told by hand
    expect(gossipOf(a).table.get(c.keys.id)).toMatchObject({ source: 'pub' })
    expect(gossipOf(c).table.get(b.keys.id)).toMatchObject({ source: 'pub' })
    expect(gossipOf(c).table.get(c.keys.id)).toBeUndefined()
    expect(a.server.connections().every((x) => x.isClient)).toBe(true)
  }, 50_000)

  test('two servers with LAN discovery on loopback find each other and replicate', async () => {
    const port = await freeUdpPort()
    const lan = { local: true, localPort: port, localBroadcast: LOOPBACK_BROADCAST, localBind: LOOPBACK_BROADCAST, localInterval: 100 }
    const [a, b] = [await server(lan), await server(lan)]
    await Promise.all([gossipOf(a).started(), gossipOf(b).started()])
    expect(gossipOf(a).lan()?.port).toBe(port)
    await followAll([a, b])
    const [sa, sb] = await Promise.all([a.server.db.latestSequence(a.keys.id), b.server.db.latestSequence(b.keys.id)])
    await until(async () => (await hasFeed(a, b.keys.id, sb)) && (await hasFeed(b, a.keys.id, sa)), 'LAN peers replicate')
    expect(gossipOf(a).table.get(b.keys.id)).toMatchObject({ source: 'local' })
    expect(gossipOf(b).table.get(a.keys.id)).toMatchObject({ source: 'local' })
    // a server without LAN discovery (the default for Server(config) without ssb-config) hears nothing
    const quiet = await server()
    await delay(500)
    expect(gossipOf(quiet).lan()).toBeUndefined()
    expect(gossipOf(quiet).table.size).toBe(0)
  }, 30_000)
})

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4')
    s.once('error', reject)
    s.bind({ port: 0, address: '127.0.0.1' }, () => {
      const p = s.address().port
      s.close(() => resolve(p))
    })
  })
}

/** A TCP server on 127.0.0.1 that records accepts and treats each socket with `onSocket`. */
async function fakePeer(onSocket: (s: Socket) => void): Promise<{ port: number; accepts: number[]; close(): Promise<void> }> {
  const accepts: number[] = []
  const sockets = new Set<Socket>()
  const srv: NetServer = createServer((s) => {
    accepts.push(Date.now())
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
    onSocket(s)
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as { port: number }).port
  const close = async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((r) => srv.close(() => r()))
  }
  cleanups.push(close)
  return { port, accepts, close }
}

describe('faults', () => {
  test('refusing, hanging and garbage-talking peers cost only their timeout; back-off grows; the server keeps serving', async () => {
    const hang = await fakePeer(() => {})
    const garbage = await fakePeer((s) => s.end(randomBytes(200)))
    const refused = await freePort()
    const keys = [generateKeys(), generateKeys(), generateKeys()]
    const seeds = [
      `net:127.0.0.1:${refused}~shs:${keys[0]!.public.replace(/\.ed25519$/, '')}`,
      `net:127.0.0.1:${hang.port}~shs:${keys[1]!.public.replace(/\.ed25519$/, '')}`,
      `net:127.0.0.1:${garbage.port}~shs:${keys[2]!.public.replace(/\.ed25519$/, '')}`,
    ]
    const a = await server({ dialTimeout: 800, backoffFactor: 300, backoffMax: 60_000 }, { seeds, timers: { handshake: 400 } })
    const g = gossipOf(a)
    const peers = keys.map((k) => g.table.get(k.id)!)
    expect(peers.map((p) => p.source)).toEqual(['seed', 'seed', 'seed'])

    const started = Date.now()
    await until(() => peers.every((p) => p.failure >= 3), 'three failures each', 20_000)
    const elapsed = Date.now() - started
    expect(g.scheduler.dialsInFlight).toBeLessThanOrEqual(3)
    for (const p of peers) {
      expect(p.state === undefined || p.state === 'connecting').toBe(true)
      expect(p.error).toBeTruthy()
    }
    expect(peers[1]!.error).toMatch(/timeout|did not complete/i)
    // back-off: with 100 ms ticks and no back-off there would be ~elapsed/100 attempts each
    expect(garbage.accepts.length).toBeLessThan(elapsed / 100 / 2)
    const gaps = garbage.accepts.slice(1).map((t, i) => t - garbage.accepts[i]!)
    expect(gaps.length).toBeGreaterThanOrEqual(2)
    expect(gaps[gaps.length - 1]!).toBeGreaterThan(gaps[0]!)

    // a manual dial of the hanging peer ends with a timeout error instead of hanging the caller
    g.scheduler.setEnabled(false)
    await until(() => !g.scheduler.isDialing(keys[1]!.id), 'the scheduled dial to end')
    await expect(callLocal(a, 'connect', [keys[1]!.id])).rejects.toThrow(/timeout|did not complete/i)

    // meanwhile a real peer is served normally
    const b = await server({ connections: 0 })
    const conn = await b.server.connect(addressOf(a))
    expect(await conn.rpc.call(['whoami'], []).catch(() => null)).toBeNull() // not a master: refused, but answered
    expect(await conn.rpc.call(['manifest'], [])).toMatchObject({ gossip: { ping: 'duplex' } })
    await conn.rpc.close()
  }, 40_000)

  const HANDSHAKE_MS = 1000
  test('200 incoming connections at once stay within the caps; a real peer is served afterwards', async () => {
    const a = await server({}, { timers: { handshake: HANDSHAKE_MS } })
    const sockets: RawSocket[] = []
    const opened = await Promise.allSettled(Array.from({ length: 200 }, () => rawSocket(a.port)))
    for (const r of opened) if (r.status === 'fulfilled') sockets.push(r.value)
    cleanups.push(async () => {
      for (const s of sockets) s.socket.destroy()
    })
    expect(sockets.length).toBeGreaterThan(0)
    // none of the hanging sockets became a connection, and they all get closed by the handshake timeout
    expect(a.server.connections().filter((c) => c.transport === 'net')).toHaveLength(0)
    const closedAt: number[] = []
    for (const s of sockets) void s.closed.then(() => closedAt.push(Date.now()))
    await until(() => closedAt.length === sockets.length, 'every hanging socket closed', 30_000)
    // At most DEFAULT_MAX_HANDSHAKES (64) handshakes run at once: the rest wait for a slot, and
    // their timeout starts with their handshake, so they close at least one timeout later.
    closedAt.sort((x, y) => x - y)
    if (sockets.length > DEFAULT_MAX_HANDSHAKES) {
      expect(closedAt[DEFAULT_MAX_HANDSHAKES]! - closedAt[0]!).toBeGreaterThanOrEqual(HANDSHAKE_MS * 0.8)
    }

    const b = await server({ connections: 0 })
    const conn = await b.server.connect(addressOf(a))
    expect(await conn.rpc.call(['manifest'], [])).toMatchObject({ gossip: { peers: 'sync' } })
    await conn.rpc.close()
    expect(gossipOf(a).table.size).toBe(0)
  }, 40_000)
})

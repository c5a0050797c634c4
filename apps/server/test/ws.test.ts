// The WebSocket transport (ssb-ws / multiserver ws): real servers on 127.0.0.1, real WebSockets
// from the `ws` library, SHS and box-stream from @ssb/shs, RPC from @ssb/rpc. Bad input gets a
// bounded close and the server stays healthy; the same port serves blobs over plain HTTP.
import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { join } from 'node:path'
import { connect as netConnect, createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import { fromBase64, generateKeys, type Keys } from '@ssb/keys'
import { createRpc, type RpcConnection } from '@ssb/rpc'
import { mainNetCaps, shsClient } from '@ssb/shs'
import type { Blobs } from '../src/blobs.js'
import { Listeners } from '../src/listeners.js'
import { silentLogger } from '../src/logger.js'
import { DEFAULT_WS_MAX_PAYLOAD, openWebSocket, parseWsAddress, WebSocketDuplex, WS_CLOSE_UNSUPPORTED, WS_MAX_OUTGOING_FRAME, wsListenSpecs } from '../src/ws.js'
import { collect, testServer, type TestServer } from './helpers.js'
import { CLOSE_BOUND_MS, garbage, within } from './raw-peer.js'

const HANDSHAKE_TIMEOUT_MS = 300

let t: TestServer

beforeAll(async () => {
  t = await testServer({ ws: { port: 0 }, timers: { handshake: HANDSHAKE_TIMEOUT_MS } })
})

afterAll(async () => {
  await t?.stop()
})

function wsPortOf(s: TestServer): number {
  const p = s.server.wsPort
  if (p === undefined) throw new Error('server has no ws listener')
  return p
}

/** An open WebSocket to the server (no SHS yet). */
function openWs(port: number, opts: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false, ...opts })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

/** Resolves with the close code once the server closes the socket; counts messages received. */
function watch(ws: WebSocket): { closed: Promise<number>; received: () => number } {
  let received = 0
  ws.on('message', () => received++)
  ws.on('error', () => {})
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
  return { closed, received: () => received }
}

interface WsClient {
  rpc: RpcConnection
  remoteId: string
  close(): Promise<void>
}

/** Our own client over a WebSocket: ws + WebSocketDuplex + shsClient + createRpc. */
async function wsClient(port: number, serverKeys: Keys, keys: Keys = serverKeys, wsOpts: WebSocket.ClientOptions = {}): Promise<WsClient> {
  const ws = await openWs(port, wsOpts)
  const socket = new WebSocketDuplex(ws)
  socket.on('error', () => {})
  const { stream, remoteId } = await shsClient(socket, { keys, serverPublicKey: serverKeys.publicKey, caps: mainNetCaps(), timeoutMs: 3000 })
  const rpc = createRpc({ stream }, { manifest: {}, remoteManifest: t.server.manifest(), context: { remoteId } })
  return { rpc, remoteId, close: () => rpc.close() }
}

async function assertHealthy(): Promise<void> {
  const c = await within(wsClient(wsPortOf(t), t.keys), CLOSE_BOUND_MS, 'healthy ws client')
  try {
    expect(await within(c.rpc.call('whoami', []), CLOSE_BOUND_MS, 'whoami')).toEqual({ id: t.keys.id })
  } finally {
    await c.close()
  }
}

describe('config and addresses', () => {
  test('ws listen specs come from connections.incoming.ws, else ws.port (default 8989), else none', () => {
    expect(wsListenSpecs({})).toEqual([])
    expect(wsListenSpecs({ ws: false, connections: { incoming: { ws: [{ port: 1 }] } } })).toEqual([])
    expect(wsListenSpecs({ ws: {} })).toEqual([{ kind: 'ws', host: undefined, port: 8989, scopes: ['device', 'local', 'public'] }])
    expect(wsListenSpecs({ host: '127.0.0.1', ws: { port: '9000' } })).toEqual([
      { kind: 'ws', host: '127.0.0.1', port: 9000, scopes: ['device', 'local', 'public'] },
    ])
    expect(
      wsListenSpecs({
        ws: { port: 7000 },
        connections: { incoming: { ws: [{ host: '::1', scope: 'device', transform: 'shs' }, { host: '10.0.0.2', port: 7001, scope: ['local'] }] } },
      }),
    ).toEqual([
      { kind: 'ws', host: '::1', port: 7000, scopes: ['device'] },
      { kind: 'ws', host: '10.0.0.2', port: 7001, scopes: ['local'] },
    ])
    expect(() => wsListenSpecs({ ws: { port: 'abc' } })).toThrow(/invalid port/)
  })

  test('parses ws:// and wss:// multiserver addresses, skipping other alternatives', () => {
    const key = t.keys.public.replace(/\.ed25519$/, '')
    const a = parseWsAddress(`net:10.0.0.1:8008~shs:${key};ws://127.0.0.1:8989~shs:${key}`, fromBase64)
    expect(a?.url).toBe('ws://127.0.0.1:8989')
    expect(a?.address).toBe(`ws://127.0.0.1:8989~shs:${key}`)
    expect(Buffer.from(a!.key)).toEqual(Buffer.from(t.keys.publicKey))
    expect(parseWsAddress(`wss://pub.example:443/path~shs:${key}`, fromBase64)?.url).toBe('wss://pub.example:443/path')
    for (const bad of [`ws://127.0.0.1:8989~shs:short`, `ws://127.0.0.1:8989`, `http://x:1~shs:${key}`, `ws://:1~shs:${key}`, 42, null]) {
      expect(parseWsAddress(bad, fromBase64)).toBeNull()
    }
  })

  test('getAddress lists the ws address after the net one, in multiserver form (the unix socket on device scope)', () => {
    const key = t.keys.public.replace(/\.ed25519$/, '')
    const netWs = `net:127.0.0.1:${t.port}~shs:${key};ws://127.0.0.1:${wsPortOf(t)}~shs:${key}`
    expect(t.server.getAddress('device')).toBe(`${netWs};unix:${join(t.dir, 'socket')}~noauth`)
    expect(t.server.address()).toBe(t.server.getAddress('device'))
    expect(t.server.getAddress('local')).toBe(netWs)
  })

  test('a busy ws port fails start-up with a clear error', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()))
    const busy = (blocker.address() as { port: number }).port
    try {
      await expect(testServer({ ws: { port: busy } })).rejects.toMatchObject({
        code: 'EADDRINUSE',
        message: expect.stringMatching(new RegExp(`websockets on 127\\.0\\.0\\.1:${busy} \\(ws\\.port\\)`)),
      })
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()))
    }
  })

  test('dialling: a refused WebSocket names the address; an aborted one rejects with the reason', async () => {
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()))
    const port = (closed.address() as { port: number }).port
    await new Promise<void>((r) => closed.close(() => r()))
    const address = `ws://127.0.0.1:${port}~shs:${t.server.keys.public.replace(/\.ed25519$/, '')}`
    await expect(t.server.connect(address)).rejects.toThrow(`websocket connect failed: ${address}: connect ECONNREFUSED`)
    const reason = new Error('gave up')
    const ac = new AbortController()
    const opening = openWebSocket(`ws://127.0.0.1:${port}`, { maxPayload: DEFAULT_WS_MAX_PAYLOAD, signal: ac.signal })
    ac.abort(reason)
    await expect(opening).rejects.toBe(reason)
    await expect(openWebSocket(`ws://127.0.0.1:${port}`, { maxPayload: DEFAULT_WS_MAX_PAYLOAD, signal: ac.signal })).rejects.toBe(reason)
  })
})

describe('RPC over WebSocket', () => {
  test('the server key is master: whoami, publish, createHistoryStream', async () => {
    const c = await wsClient(wsPortOf(t), t.keys)
    try {
      expect(await c.rpc.call('whoami', [])).toEqual({ id: t.keys.id })
      const published = (await c.rpc.call('publish', [{ type: 'post', text: 'over ws' }])) as { key: string }
      const history = (await collect(c.rpc.source('createHistoryStream', [{ id: t.keys.id }]))) as Array<{ key: string }>
      expect(history.map((m) => m.key)).toContain(published.key)
      const conns = (t.server.status().connections as Array<{ transport: string; direction: string; address: string }>).filter((x) => x.transport === 'ws')
      expect(conns).toHaveLength(1)
      expect(conns[0]!.direction).toBe('in')
      expect(conns[0]!.address).toMatch(/^ws:127\.0\.0\.1:\d+$/)
    } finally {
      await c.close()
    }
  })

  test('a browser on this machine is named by its Origin, like multiserver', async () => {
    const c = await wsClient(wsPortOf(t), t.keys, generateKeys(), { origin: 'http://localhost:3000' })
    try {
      await c.rpc.call('manifest', [])
      const addresses = t.server.connections().filter((x) => x.transport === 'ws').map((x) => x.address)
      expect(addresses).toContain('ws://localhost:3000')
    } finally {
      await c.close()
    }
  })

  test('a stranger gets anonymous methods only', async () => {
    const c = await wsClient(wsPortOf(t), t.keys, generateKeys())
    try {
      expect(await c.rpc.call('manifest', [])).toEqual(t.server.manifest())
      await expect(c.rpc.call('publish', [{ type: 'post', text: 'nope' }])).rejects.toThrow(/not in list of allowed methods/)
    } finally {
      await c.close()
    }
  })

  test('a blob larger than one frame arrives intact (outgoing writes are split into frames)', async () => {
    const bytes = randomBytes(3 * WS_MAX_OUTGOING_FRAME + 123)
    const { id } = await t.server.subsystem<Blobs>('blobs')!.store.add(bytes)
    // The client accepts no frame larger than our own listener would.
    const c = await wsClient(wsPortOf(t), t.keys, t.keys, { maxPayload: WS_MAX_OUTGOING_FRAME })
    try {
      const chunks = (await collect(c.rpc.source('blobs.get', [id]))) as Uint8Array[]
      expect(Buffer.concat(chunks).equals(bytes)).toBe(true)
    } finally {
      await c.close()
    }
  })

  test('our server dials another over ws (server.connect with a ws:// address)', async () => {
    const other = await testServer({ ws: { port: 0 } })
    try {
      const key = other.keys.public.replace(/\.ed25519$/, '')
      const conn = await t.server.connect(`ws://127.0.0.1:${wsPortOf(other)}~shs:${key}`)
      expect(conn.transport).toBe('ws')
      expect(conn.id).toBe(other.keys.id)
      expect(conn.isClient).toBe(true)
      expect(await conn.rpc.call('manifest', [])).toEqual(other.server.manifest())
      const incoming = other.server.connections().find((c) => c.id === t.keys.id)
      expect(incoming?.transport).toBe('ws')
      await conn.rpc.close()
    } finally {
      await other.stop()
    }
  })

  test('an idle stranger is dropped after the inactivity timeout', async () => {
    const s = await testServer({ ws: { port: 0 }, timers: { inactivity: 300 } })
    try {
      const ws = await openWs(wsPortOf(s))
      const w = watch(ws)
      const socket = new WebSocketDuplex(ws)
      socket.on('error', () => {})
      const { stream, remoteId } = await shsClient(socket, { keys: generateKeys(), serverPublicKey: s.keys.publicKey, caps: mainNetCaps() })
      const rpc = createRpc({ stream }, { manifest: {}, remoteManifest: s.server.manifest(), context: { remoteId } })
      expect(await rpc.call('manifest', [])).toEqual(s.server.manifest())
      await within(rpc.whenClosed(), CLOSE_BOUND_MS, 'idle stranger dropped')
      await within(w.closed, CLOSE_BOUND_MS, 'websocket closed')
    } finally {
      await s.stop()
    }
  })
})

describe('bad input', () => {
  test('garbage binary frames instead of msg1: closed without a byte sent', async () => {
    for (const size of [64, 10_000]) {
      const ws = await openWs(wsPortOf(t))
      const w = watch(ws)
      ws.send(garbage(size), { binary: true })
      await within(w.closed, CLOSE_BOUND_MS, `close after ${size} garbage bytes`)
      expect(w.received()).toBe(0)
    }
    await assertHealthy()
  })

  test('a text frame: closed with 1003 (binary only)', async () => {
    const ws = await openWs(wsPortOf(t))
    const w = watch(ws)
    ws.send('hello')
    expect(await within(w.closed, CLOSE_BOUND_MS, 'close after text frame')).toBe(WS_CLOSE_UNSUPPORTED)
    expect(w.received()).toBe(0)
    await assertHealthy()
  })

  test('a frame over maxPayload: closed with 1009 (message too big)', async () => {
    const ws = await openWs(wsPortOf(t))
    const w = watch(ws)
    ws.send(garbage(DEFAULT_WS_MAX_PAYLOAD + 1), { binary: true })
    expect(await within(w.closed, CLOSE_BOUND_MS, 'close after oversized frame')).toBe(1009)
    await assertHealthy()
  })

  test('an oversized frame after the handshake ends that session only', async () => {
    const ws = await openWs(wsPortOf(t))
    const w = watch(ws)
    const socket = new WebSocketDuplex(ws)
    socket.on('error', () => {})
    const { stream, remoteId } = await shsClient(socket, { keys: generateKeys(), serverPublicKey: t.keys.publicKey, caps: mainNetCaps() })
    const rpc = createRpc({ stream }, { manifest: {}, remoteManifest: t.server.manifest(), context: { remoteId } })
    expect(await rpc.call('manifest', [])).toEqual(t.server.manifest())
    ws.send(garbage(DEFAULT_WS_MAX_PAYLOAD + 10), { binary: true })
    expect(await within(w.closed, CLOSE_BOUND_MS, 'close after oversized frame')).toBe(1009)
    await within(rpc.whenClosed(), CLOSE_BOUND_MS, 'rpc closed')
    await assertHealthy()
  })

  test('silence after the upgrade: closed at the handshake timeout', async () => {
    const ws = await openWs(wsPortOf(t))
    const w = watch(ws)
    await within(w.closed, HANDSHAKE_TIMEOUT_MS + CLOSE_BOUND_MS, 'close after silent upgrade')
    expect(w.received()).toBe(0)
  })

  test('half a msg1, then silence: closed at the handshake timeout', async () => {
    const ws = await openWs(wsPortOf(t))
    const w = watch(ws)
    ws.send(garbage(30), { binary: true })
    await within(w.closed, HANDSHAKE_TIMEOUT_MS + CLOSE_BOUND_MS, 'close after partial msg1')
    expect(w.received()).toBe(0)
  })

  test('a wrong network key: refused', async () => {
    const ws = await openWs(wsPortOf(t))
    const w = watch(ws)
    const socket = new WebSocketDuplex(ws)
    socket.on('error', () => {})
    await expect(shsClient(socket, { keys: generateKeys(), serverPublicKey: t.keys.publicKey, caps: garbage(32), timeoutMs: 2000 })).rejects.toMatchObject({
      code: expect.stringMatching(/^SHS_/),
    })
    await within(w.closed, CLOSE_BOUND_MS, 'close after wrong caps')
    await assertHealthy()
  })

  test('HTTP headers that never finish: the socket is cut', async () => {
    const socket = netConnect({ host: '127.0.0.1', port: wsPortOf(t) })
    socket.on('error', () => {})
    socket.resume()
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n')
    await within(closed, 3 * CLOSE_BOUND_MS, 'close after slow headers')
    await assertHealthy()
  })

  test('connections beyond the cap are refused before the upgrade', async () => {
    const keys = generateKeys()
    const listeners = new Listeners(
      { keys, logger: silentLogger, api: { whoami: () => ({ id: keys.id }) }, manifest: { whoami: 'async' } },
      { caps: mainNetCaps(), masters: new Set([keys.id]), anonymous: ['whoami'], handshakeTimeoutMs: 2000, inactivityTimeoutMs: 60_000, maxConnections: 2 },
    )
    await listeners.listen([{ kind: 'ws', host: '127.0.0.1', port: 0, scopes: ['device'] }])
    const port = listeners.wsPort()!
    const open: RpcConnection[] = []
    try {
      for (let i = 0; i < 2; i++) {
        const ws = await openWs(port)
        const socket = new WebSocketDuplex(ws)
        socket.on('error', () => {})
        const { stream, remoteId } = await shsClient(socket, { keys: generateKeys(), serverPublicKey: keys.publicKey, caps: mainNetCaps() })
        const rpc = createRpc({ stream }, { manifest: {}, remoteManifest: { whoami: 'async' }, context: { remoteId } })
        expect(await rpc.call('whoami', [])).toEqual({ id: keys.id })
        open.push(rpc)
      }
      await expect(openWs(port)).rejects.toThrow(/503/)
      await open.pop()!.close()
      // Once the server has seen that connection end, there is room again.
      const deadline = Date.now() + CLOSE_BOUND_MS
      for (;;) {
        const ws = await openWs(port).catch((err: Error) => err)
        if (!(ws instanceof Error)) {
          ws.terminate()
          break
        }
        if (Date.now() > deadline) throw ws
        await new Promise((r) => setTimeout(r, 20))
      }
    } finally {
      for (const rpc of open) await rpc.close()
      await listeners.close()
    }
  })
})

describe('HTTP blobs on the ws port', () => {
  function get(path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: wsPortOf(t), path, method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }))
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end()
    })
  }

  test('GET /blobs/get/<id>: 200 with the bytes, HEAD, If-None-Match 304', async () => {
    const bytes = randomBytes(100_000)
    const { id } = await t.server.subsystem<Blobs>('blobs')!.store.add(bytes)
    const res = await get(`/blobs/get/${encodeURIComponent(id)}`)
    expect(res.status).toBe(200)
    expect(res.body.equals(bytes)).toBe(true)
    expect(res.headers['content-length']).toBe(String(bytes.length))
    expect(res.headers['etag']).toBe(id)
    expect(res.headers['access-control-allow-origin']).toBe('*')
    const head = await get(`/blobs/get/${encodeURIComponent(id)}`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.body.length).toBe(0)
    expect(head.headers['content-length']).toBe(String(bytes.length))
    const cached = await get(`/blobs/get/${encodeURIComponent(id)}`, { headers: { 'if-none-match': id } })
    expect(cached.status).toBe(304)
  })

  test('a missing blob is 404, a malformed id 400, other paths and methods refused', async () => {
    const missing = '&' + Buffer.alloc(32, 7).toString('base64') + '.sha256'
    expect((await get(`/blobs/get/${encodeURIComponent(missing)}`)).status).toBe(404)
    expect((await get('/blobs/get/not-a-blob')).status).toBe(400)
    expect((await get('/blobs/get/%E0%A4%A')).status).toBe(400)
    expect((await get(`/blobs/get/${encodeURIComponent(missing.replace('.sha256', '.sha512'))}`)).status).toBe(400)
    expect((await get('/')).status).toBe(404)
    expect((await get(`/blobs/get/${encodeURIComponent(missing)}`, { method: 'DELETE' })).status).toBe(405)
    await assertHealthy()
  })
})

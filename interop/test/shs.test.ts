// Interop: our @ssb/shs (+ @ssb/box-stream) against the JavaScript secret-handshake 1.1.21 and
// pull-box-stream that ssb-server 16 uses, over real TCP on 127.0.0.1, in both roles; then
// against a running ssb-server 16 (a whoami through our box stream, and the server dialing us).
import { once } from 'node:events'
import { createRequire } from 'node:module'
import net from 'node:net'
import type { Duplex } from 'node:stream'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest'
// interop/package.json does not list @ssb/shs yet, so import the workspace source directly.
import { MAIN_NET_CAPS, shsClient, shsServer, ShsError, type ShsConnection } from '@ssb/shs'
import { call, closeClient } from '../src/client.js'
import { startReference, type ReferencePeer } from '../src/reference.js'

// Resolve the exact modules ssb-server 16 runs: ssb-server → multiserver → secret-handshake.
const require = createRequire(import.meta.url)
const fromServer = createRequire(require.resolve('ssb-server/package.json'))
const fromMultiserver = createRequire(fromServer.resolve('multiserver/package.json'))
const fromShs = createRequire(fromMultiserver.resolve('secret-handshake/package.json'))

interface KeyPair { publicKey: Buffer; secretKey: Buffer }
interface PullDuplex { source: unknown; sink: unknown }
interface JsSession extends PullDuplex { remote: Buffer }
type Callback<T> = (err: Error | null, value?: T) => void
interface SecretHandshake {
  createClient(keys: KeyPair, appKey: Buffer, timeoutMs: number): (serverPk: Buffer, cb: Callback<JsSession>) => PullDuplex
  createServer(
    keys: KeyPair,
    authorize: (pk: Buffer, cb: Callback<boolean>) => void,
    appKey: Buffer,
    timeoutMs: number,
  ): (cb: Callback<JsSession>) => PullDuplex
}
type Pull = ((...streams: unknown[]) => unknown) & {
  values(items: unknown[]): unknown
  collect(cb: Callback<Buffer[]>): unknown
}

const SHS = fromMultiserver('secret-handshake') as SecretHandshake
const pull = fromMultiserver('pull-stream') as Pull
const toPull = fromServer('stream-to-pull-stream') as { duplex(s: net.Socket): PullDuplex }
const chloride = fromShs('chloride') as { crypto_sign_keypair(): KeyPair; randombytes(b: Buffer): void }

const randomKey = (): Buffer => {
  const b = Buffer.alloc(32)
  chloride.randombytes(b)
  return b
}
const caps = randomKey()
const serverKeys = chloride.crypto_sign_keypair()
const clientKeys = chloride.crypto_sign_keypair()

let server: net.Server | undefined
let port: number
let sockets: net.Socket[] = []
let connections: ShsConnection[] = []

async function listen(onSocket: (s: net.Socket) => void): Promise<void> {
  server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.push(s)
    s.on('error', () => {})
    onSocket(s)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  port = (server.address() as net.AddressInfo).port
}

function dial(): net.Socket {
  const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  s.on('error', () => {})
  sockets.push(s)
  return s
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

async function readAll(stream: Duplex): Promise<string> {
  let text = ''
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) text += (chunk as Buffer).toString()
  return text
}

/** JS side, given a handshake result: send `messages`, then end; resolve with what came back. */
function jsTalk(session: JsSession, messages: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    pull(pull.values(messages.map((m) => Buffer.from(m))), session.sink)
    pull(session.source, pull.collect((err, bufs) => (err ? reject(err) : resolve(Buffer.concat(bufs ?? []).toString()))))
  })
}

beforeEach(() => {
  sockets = []
  connections = []
})
afterEach(async () => {
  for (const c of connections) c.stream.on('error', () => {}).destroy()
  for (const s of sockets) s.destroy()
  await new Promise<void>((resolve) => (server?.listening ? server.close(() => resolve()) : resolve()))
})

describe('JS secret-handshake client → our shsServer', () => {
  test('handshake, then both directions carry data and end with goodbyes', async () => {
    const ours = deferred<ShsConnection>()
    await listen((s) => void shsServer(s, { keys: serverKeys, caps }).then(ours.resolve, ours.reject))
    const socket = dial()
    const stream = toPull.duplex(socket)
    const jsSession = new Promise<JsSession>((resolve, reject) => {
      pull(stream, SHS.createClient(clientKeys, caps, 5000)(serverKeys.publicKey, (err, s) => (err ? reject(err) : resolve(s!))), stream)
    })
    const conn = await ours.promise
    connections.push(conn)
    const js = await jsSession
    expect(Buffer.from(conn.remotePublicKey).equals(clientKeys.publicKey)).toBe(true)
    expect(conn.remoteId).toBe(`@${clientKeys.publicKey.toString('base64')}.ed25519`)
    expect(js.remote.equals(serverKeys.publicKey)).toBe(true)

    // Our side echoes in upper case, then ends when the JS side ends.
    conn.stream.on('data', (d: Buffer) => conn.stream.write(d.toString().toUpperCase()))
    conn.stream.on('end', () => conn.stream.end())
    const big = 'y'.repeat(20_000)
    expect(await jsTalk(js, ['hello ', big])).toBe(`HELLO ${big.toUpperCase()}`)
  })

  test('JS client with another network key: our server fails with SHS_WRONG_NETWORK', async () => {
    const ours = deferred<unknown>()
    await listen((s) => void shsServer(s, { keys: serverKeys, caps }).then(ours.resolve, ours.resolve))
    const socket = dial()
    const stream = toPull.duplex(socket)
    const jsResult = new Promise<Error | null>((resolve) => {
      pull(stream, SHS.createClient(clientKeys, randomKey(), 5000)(serverKeys.publicKey, (err) => resolve(err)), stream)
    })
    const err = await ours.promise
    expect(err).toBeInstanceOf(ShsError)
    expect((err as ShsError).code).toBe('SHS_WRONG_NETWORK')
    expect(await jsResult).toBeInstanceOf(Error)
  })
})

describe('our shsClient → JS secret-handshake server', () => {
  /** Starts a JS server; resolves once listening, with a promise of its handshake outcome. */
  async function jsServer(opts: { appKey?: Buffer; authorize?: boolean } = {}): Promise<{ outcome: Promise<JsSession | Error> }> {
    const outcome = deferred<JsSession | Error>()
    await listen((s) => {
      const stream = toPull.duplex(s)
      const authorize = (_pk: Buffer, cb: Callback<boolean>): void => cb(null, opts.authorize ?? true)
      const shs = SHS.createServer(serverKeys, authorize, opts.appKey ?? caps, 5000)((err, session) => {
        if (err) return outcome.resolve(err)
        pull(session!.source, session!.sink) // echo
        outcome.resolve(session!)
      })
      pull(stream, shs, stream)
    })
    return { outcome: outcome.promise }
  }

  test('handshake, then the JS server echoes what we send', async () => {
    const { outcome: js } = await jsServer()
    const conn = await shsClient(dial(), { keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps })
    connections.push(conn)
    const session = await js
    expect(session).not.toBeInstanceOf(Error)
    expect((session as JsSession).remote.equals(clientKeys.publicKey)).toBe(true)
    const echoed = readAll(conn.stream)
    const big = 'z'.repeat(50_000)
    conn.stream.write('ping ')
    conn.stream.end(big)
    expect(await echoed).toBe(`ping ${big}`)
  })

  test('JS server with another network key: our client fails with SHS_WRONG_NETWORK', async () => {
    const { outcome: js } = await jsServer({ appKey: randomKey() })
    const err = await shsClient(dial(), { keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ShsError)
    expect((err as ShsError).code).toBe('SHS_WRONG_NETWORK')
    expect(await js).toBeInstanceOf(Error)
  })

  test('JS server refusing to authorize us: our client fails with SHS_REJECTED', async () => {
    const { outcome: js } = await jsServer({ authorize: false })
    const err = await shsClient(dial(), { keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ShsError)
    expect((err as ShsError).code).toBe('SHS_REJECTED')
    expect(await js).toBeInstanceOf(Error)
  })
})

describe('against a real ssb-server 16 process (main-net caps)', () => {
  let peer: ReferencePeer
  beforeAll(async () => {
    peer = await startReference()
  })
  afterAll(async () => {
    await peer?.stop()
  })

  /** Reads one packet-stream frame (protocol.md §6.1) from a plaintext box stream. */
  async function readFrame(stream: Duplex): Promise<{ flags: number; req: number; body: Buffer }> {
    let buf = Buffer.alloc(0)
    for await (const chunk of stream) {
      buf = Buffer.concat([buf, chunk as Buffer])
      if (buf.length >= 9 && buf.length >= 9 + buf.readUInt32BE(1)) break
    }
    const length = buf.readUInt32BE(1)
    return { flags: buf[0]!, req: buf.readInt32BE(5), body: buf.subarray(9, 9 + length) }
  }

  test('our shsClient handshakes with it, and a whoami travels both ways through box-stream', async () => {
    const b64 = (s: string): Buffer => Buffer.from(s.replace(/\.ed25519$/, '').replace(/^@/, ''), 'base64')
    // The server's own key makes us "master", so whoami is allowed (protocol.md §6.5).
    const keys = { publicKey: b64(peer.keys.public), secretKey: b64(peer.keys.private) }
    const socket = net.connect(peer.port, '127.0.0.1')
    sockets.push(socket)
    const conn = await shsClient(socket, { keys, serverPublicKey: keys.publicKey, caps: MAIN_NET_CAPS })
    connections.push(conn)
    expect(conn.remoteId).toBe(peer.id)

    const body = Buffer.from(JSON.stringify({ name: ['whoami'], args: [], type: 'async' }))
    const header = Buffer.alloc(9)
    header[0] = 0x02 // JSON, not a stream
    header.writeUInt32BE(body.length, 1)
    header.writeInt32BE(1, 5)
    conn.stream.write(Buffer.concat([header, body]))
    const reply = await readFrame(conn.stream)
    expect(reply.req).toBe(-1)
    expect(reply.flags).toBe(0x02)
    expect(JSON.parse(reply.body.toString())).toEqual({ id: peer.id })
  })

  test('it dials our shsServer (gossip.connect) and we see its identity', async () => {
    const ourKeys = chloride.crypto_sign_keypair()
    const accepted = deferred<ShsConnection>()
    await listen((s) => void shsServer(s, { keys: ourKeys, caps: MAIN_NET_CAPS }).then(accepted.resolve, accepted.reject))
    const client = await peer.client()
    try {
      const address = `net:127.0.0.1:${port}~shs:${ourKeys.publicKey.toString('base64')}`
      const dialing = call(client, 'gossip.connect', address).catch(() => undefined)
      const conn = await accepted.promise
      connections.push(conn)
      expect(conn.remoteId).toBe(peer.id)
      conn.stream.destroy()
      await dialing
    } finally {
      await closeClient(client)
    }
  })
})

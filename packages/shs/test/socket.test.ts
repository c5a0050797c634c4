import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import net from 'node:net'
import type { Duplex } from 'node:stream'
import { adoptWithReads, connectWithReads, createBoxer, createUnboxer } from '@ssb/box-stream'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import {
  createClientHandshake,
  createServerHandshake,
  shsClient,
  shsServer,
  ShsError,
  type ShsConnection,
} from '../src/index.js'
import { collect, keysFromSeed, listen, randomCaps, readExactly, toHex, type Listener } from './helpers.js'

const caps = randomCaps()
const serverKeys = keysFromSeed()
const clientKeys = keysFromSeed()
const serverId = `@${Buffer.from(serverKeys.publicKey).toString('base64')}.ed25519`
const clientId = `@${Buffer.from(clientKeys.publicKey).toString('base64')}.ed25519`

let listener: Listener
let connections: Promise<ShsConnection>[] = []
const track = (p: Promise<ShsConnection>): Promise<ShsConnection> => (connections.push(p), p)
beforeEach(async () => {
  listener = await listen()
})
afterEach(async () => {
  for (const c of await Promise.allSettled(connections)) {
    if (c.status === 'fulfilled') c.value.stream.on('error', () => {}).destroy()
  }
  connections = []
  await listener.close()
})

async function shsError(promise: Promise<unknown>): Promise<ShsError> {
  const err = await promise.then(
    () => {
      throw new Error('expected the handshake to fail')
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ShsError)
  return err as ShsError
}

async function readAll(stream: Duplex): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) parts.push(chunk as Buffer)
  return Buffer.concat(parts)
}

describe('shsClient ↔ shsServer over TCP', () => {
  test('handshake, then data echoed both ways', async () => {
    const serverSide = listener.accept().then((socket) => track(shsServer(socket, { keys: serverKeys, caps })))
    const client = await track(shsClient(listener.connect(), { keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps }))
    const server = await serverSide
    expect(client.remoteId).toBe(serverId)
    expect(server.remoteId).toBe(clientId)
    expect(client.remotePublicKey).toEqual(serverKeys.publicKey)

    // Echo server: uppercases whatever arrives, ends when the client ends.
    server.stream.on('data', (d: Buffer) => server.stream.write(Buffer.from(d.toString().toUpperCase())))
    server.stream.on('end', () => server.stream.end())
    const echoed = readAll(client.stream)
    const big = 'x'.repeat(100_000)
    client.stream.write('hello ')
    client.stream.end(big)
    expect((await echoed).toString()).toBe(`HELLO ${big.toUpperCase()}`)
  })

  test('authorize accepting lets the client through', async () => {
    const seen: string[] = []
    const serverSide = listener.accept().then((socket) =>
      track(shsServer(socket, { keys: serverKeys, caps, authorize: async (pk) => (seen.push(toHex(pk)), true) })),
    )
    await track(shsClient(listener.connect(), { keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps }))
    await serverSide
    expect(seen).toEqual([toHex(clientKeys.publicKey)])
  })

  test('different network keys: server SHS_WRONG_NETWORK, client SHS_WRONG_NETWORK', async () => {
    const serverSide = listener.accept().then((socket) => track(shsServer(socket, { keys: serverKeys, caps })))
    const client = shsClient(listener.connect(), { keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps: randomCaps() })
    expect((await shsError(serverSide)).code).toBe('SHS_WRONG_NETWORK')
    expect((await shsError(client)).code).toBe('SHS_WRONG_NETWORK')
  })

  test('authorize rejecting: server SHS_UNAUTHORIZED, client SHS_REJECTED', async () => {
    const serverSide = listener.accept().then((socket) => shsServer(socket, { keys: serverKeys, caps, authorize: () => false }))
    const client = shsClient(listener.connect(), { keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps })
    expect((await shsError(serverSide)).code).toBe('SHS_UNAUTHORIZED')
    expect((await shsError(client)).code).toBe('SHS_REJECTED')
  })

  test('client dialing the wrong server key: client SHS_REJECTED, server SHS_BAD_MSG3', async () => {
    const serverSide = listener.accept().then((socket) => track(shsServer(socket, { keys: serverKeys, caps })))
    const client = shsClient(listener.connect(), { keys: clientKeys, serverPublicKey: keysFromSeed().publicKey, caps })
    expect((await shsError(serverSide)).code).toBe('SHS_BAD_MSG3')
    expect((await shsError(client)).code).toBe('SHS_REJECTED')
  })
})

describe('shsServer against a raw peer', () => {
  async function serve(opts: Partial<Parameters<typeof shsServer>[1]> = {}) {
    const raw = listener.connect()
    await once(raw, 'connect')
    const socket = await listener.accept()
    const result = track(shsServer(socket, { keys: serverKeys, caps, ...opts }))
    result.catch(() => {})
    return { raw, socket, result }
  }

  test('authorize rejecting sends no msg4', async () => {
    const { raw, socket, result } = await serve({ authorize: () => false })
    const hs = createClientHandshake({ keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps })
    raw.write(hs.createMsg1())
    raw.write(hs.receiveMsg2(await readExactly(raw, 64)))
    const rest = collect(raw)
    expect((await shsError(result)).code).toBe('SHS_UNAUTHORIZED')
    expect((await rest).length).toBe(0)
    expect(socket.destroyed).toBe(true)
  })

  test.each([
    { name: 'random 64 bytes', bytes: randomBytes(64), code: 'SHS_WRONG_NETWORK' },
    { name: 'oversized garbage', bytes: randomBytes(100_000), code: 'SHS_WRONG_NETWORK' },
    { name: 'all zeros', bytes: Buffer.alloc(64), code: 'SHS_WRONG_NETWORK' },
  ])('$name as msg1 → $code, nothing sent, socket destroyed', async ({ bytes, code }) => {
    const { raw, socket, result } = await serve()
    const received = collect(raw)
    raw.write(bytes)
    expect((await shsError(result)).code).toBe(code)
    expect((await received).length).toBe(0)
    expect(socket.destroyed).toBe(true)
  })

  test('truncated msg1 then end is SHS_UNEXPECTED_END', async () => {
    const { raw, result } = await serve()
    const received = collect(raw)
    raw.end(randomBytes(10))
    expect((await shsError(result)).code).toBe('SHS_UNEXPECTED_END')
    expect((await received).length).toBe(0)
  })

  test('valid msg1, then a truncated msg3 is SHS_UNEXPECTED_END', async () => {
    const { raw, result } = await serve()
    const hs = createClientHandshake({ keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps })
    raw.write(hs.createMsg1())
    const msg3 = hs.receiveMsg2(await readExactly(raw, 64))
    raw.end(msg3.subarray(0, 100))
    expect((await shsError(result)).code).toBe('SHS_UNEXPECTED_END')
  })

  test('valid msg1, then garbage msg3 is SHS_BAD_MSG3', async () => {
    const { raw, result } = await serve()
    const hs = createClientHandshake({ keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps })
    raw.write(hs.createMsg1())
    await readExactly(raw, 64)
    const rest = collect(raw)
    raw.write(randomBytes(112))
    expect((await shsError(result)).code).toBe('SHS_BAD_MSG3')
    expect((await rest).length).toBe(0)
  })

  test('a silent client is SHS_TIMEOUT', async () => {
    const { socket, result } = await serve({ timeoutMs: 50 })
    expect((await shsError(result)).code).toBe('SHS_TIMEOUT')
    expect(socket.destroyed).toBe(true)
  })

  test('an authorize that never answers is SHS_TIMEOUT, with no msg4', async () => {
    const { raw, result } = await serve({ timeoutMs: 100, authorize: () => new Promise<boolean>(() => {}) })
    const hs = createClientHandshake({ keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps })
    raw.write(hs.createMsg1())
    raw.write(hs.receiveMsg2(await readExactly(raw, 64)))
    const rest = collect(raw)
    expect((await shsError(result)).code).toBe('SHS_TIMEOUT')
    expect((await rest).length).toBe(0)
  })

  test('an abort signal is SHS_ABORTED', async () => {
    const controller = new AbortController()
    const { socket, result } = await serve({ signal: controller.signal })
    controller.abort()
    expect((await shsError(result)).code).toBe('SHS_ABORTED')
    expect(socket.destroyed).toBe(true)
  })

  test('box-stream bytes sent right behind msg3 are not lost', async () => {
    const { raw, result } = await serve()
    const hs = createClientHandshake({ keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps })
    raw.write(hs.createMsg1())
    const msg3 = hs.receiveMsg2(await readExactly(raw, 64))
    // The session keys are only known after msg4, so box with the server's keys once we have them.
    const server = await new Promise<ShsConnection>((resolve, reject) => {
      void (async () => {
        raw.write(msg3)
        const session = hs.receiveMsg4(await readExactly(raw, 80))
        const boxer = createBoxer(session.encryptKey, session.encryptNonce)
        raw.write(Buffer.concat([boxer.box(Buffer.from('early')), boxer.goodbye()]))
      })().catch(reject)
      result.then(resolve, reject)
    })
    expect((await readAll(server.stream)).toString()).toBe('early')
  })
})

describe('shsClient against a raw peer', () => {
  async function dial(opts: Partial<Parameters<typeof shsClient>[1]> = {}) {
    const accepted = listener.accept()
    const socket = listener.connect()
    await once(socket, 'connect')
    const raw = await accepted
    const result = track(shsClient(socket, { keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps, ...opts }))
    result.catch(() => {})
    return { raw, socket, result }
  }

  test('garbage msg2 is SHS_WRONG_NETWORK and msg3 is never sent', async () => {
    const { raw, result, socket } = await dial()
    await readExactly(raw, 64)
    const rest = collect(raw)
    raw.write(randomBytes(64))
    expect((await shsError(result)).code).toBe('SHS_WRONG_NETWORK')
    expect((await rest).length).toBe(0)
    expect(socket.destroyed).toBe(true)
  })

  test('garbage msg4 is SHS_BAD_MSG4', async () => {
    const { raw, result } = await dial()
    const hs = createServerHandshake({ keys: serverKeys, caps })
    raw.write(hs.receiveMsg1(await readExactly(raw, 64)))
    await readExactly(raw, 112)
    raw.write(randomBytes(80))
    expect((await shsError(result)).code).toBe('SHS_BAD_MSG4')
  })

  test('a silent server is SHS_TIMEOUT', async () => {
    const { result, socket } = await dial({ timeoutMs: 50 })
    expect((await shsError(result)).code).toBe('SHS_TIMEOUT')
    expect(socket.destroyed).toBe(true)
  })

  test('a server hanging up mid-msg2 is SHS_UNEXPECTED_END', async () => {
    const { raw, result } = await dial()
    await readExactly(raw, 64)
    raw.end(randomBytes(30))
    expect((await shsError(result)).code).toBe('SHS_UNEXPECTED_END')
  })

  test('an already aborted signal fails before anything is sent', async () => {
    const { raw, result } = await dial({ signal: AbortSignal.abort() })
    expect((await shsError(result)).code).toBe('SHS_ABORTED')
    expect((await collect(raw)).length).toBe(0)
  })

  test('box-stream bytes sent right behind msg4 are not lost', async () => {
    const { raw, result } = await dial()
    const hs = createServerHandshake({ keys: serverKeys, caps })
    raw.write(hs.receiveMsg1(await readExactly(raw, 64)))
    const { msg4, result: session } = await hs.receiveMsg3(await readExactly(raw, 112))
    const boxer = createBoxer(session.encryptKey, session.encryptNonce)
    raw.write(Buffer.concat([msg4, boxer.box(Buffer.from('hello early')), boxer.goodbye()]))
    const client = await result
    expect((await readAll(client.stream)).toString()).toBe('hello early')
    // And the client can still talk back (half-open).
    const unboxer = createUnboxer(session.decryptKey, session.decryptNonce)
    client.stream.end('reply')
    const back = await collect(raw)
    expect(Buffer.concat(unboxer.push(back)).toString()).toBe('reply')
    expect(unboxer.ended).toBe(true)
  })
})

describe('shsClient ↔ shsServer with SocketReads (reused read buffers)', () => {
  /** A listener whose accepted sockets wait, unread, to be adopted onto reused buffers. */
  async function listenPaused(): Promise<{ server: net.Server; port: number }> {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    return { server, port: (server.address() as net.AddressInfo).port }
  }

  test('handshake, then 3 MiB echoed both ways; the ends read only into their reused buffers', async () => {
    const { server, port } = await listenPaused()
    try {
      const serverSide = (once(server, 'connection') as Promise<[net.Socket]>).then(([accepted]) => {
        const { socket, reads } = adoptWithReads(accepted)
        expect(reads).toBeDefined()
        return shsServer(socket, { keys: serverKeys, caps, reads: reads! })
      })
      const dialled = connectWithReads({ port, host: '127.0.0.1', allowHalfOpen: true })
      // The client's first box-stream bytes may arrive in the same read as msg4's answer.
      const client = await shsClient(dialled.socket, { keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps, reads: dialled.reads })
      const srv = await serverSide
      expect(srv.remoteId).toBe(clientId)
      srv.stream.on('data', (d: Buffer) => srv.stream.write(d))
      srv.stream.on('end', () => srv.stream.end())
      const big = randomBytes(3 * 1024 * 1024)
      const echoed = readAll(client.stream)
      client.stream.end(big)
      expect((await echoed).equals(big)).toBe(true)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  test('a peer that floods while its handshake waits on authorize is cut off instead of buffered', async () => {
    const { server, port } = await listenPaused()
    try {
      const serverSide = (once(server, 'connection') as Promise<[net.Socket]>).then(([accepted]) => {
        const { socket, reads } = adoptWithReads(accepted)
        // An authorize that never answers: msg1 and msg3 are read, then only the flood arrives.
        return shsServer(socket, { keys: serverKeys, caps, reads: reads!, authorize: () => new Promise<boolean>(() => {}) })
      })
      serverSide.catch(() => {})
      const raw = net.connect({ port, host: '127.0.0.1' })
      raw.on('error', () => {})
      await once(raw, 'connect')
      const hs = createClientHandshake({ keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps })
      raw.write(hs.createMsg1())
      raw.write(hs.receiveMsg2(await readExactly(raw, 64)))
      raw.write(randomBytes(1024 * 1024))
      const err = await shsError(serverSide)
      expect(err.code).toBe('SHS_UNEXPECTED_END')
      expect(err.message).toMatch(/more than \d+ bytes during the handshake/)
      raw.destroy()
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

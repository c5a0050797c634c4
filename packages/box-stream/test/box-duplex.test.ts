import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { BoxStreamError, createBoxDuplex, createBoxer, type BoxDuplexOptions, type BoxKeys } from '../src/index.js'
import { socketPair, type SocketPair } from './tcp.js'

const k1 = new Uint8Array(32).fill(1)
const k2 = new Uint8Array(32).fill(2)
const n1 = new Uint8Array(24).fill(3)
const n2 = new Uint8Array(24).fill(4)
const clientKeys: BoxKeys = { encryptKey: k1, encryptNonce: n1, decryptKey: k2, decryptNonce: n2 }
const serverKeys: BoxKeys = { encryptKey: k2, encryptNonce: n2, decryptKey: k1, decryptNonce: n1 }

// destroyOnReturn: false — finishing the read side must not tear down the write side.
async function readAll(stream: Duplex): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) parts.push(chunk as Buffer)
  return Buffer.concat(parts)
}

async function errorOf(stream: Duplex): Promise<BoxStreamError> {
  const [err] = (await once(stream, 'error').catch((e: unknown) => [e])) as [BoxStreamError]
  return err
}

let pair: SocketPair
let streams: Duplex[] = []
const boxDuplex = (socket: Duplex, keys: BoxKeys, opts: BoxDuplexOptions = {}): Duplex => {
  const reads = pair.reads.get(socket as Socket)
  const stream = createBoxDuplex(socket, keys, reads ? { ...opts, reads } : opts)
  streams.push(stream)
  return stream
}
/** Every byte the socket receives, whichever way it reads. */
function received(socket: Socket): Buffer[] {
  const raw: Buffer[] = []
  const reads = pair.reads.get(socket)
  if (reads) {
    reads.listen((bytes) => raw.push(Buffer.from(bytes)))
    socket.resume()
  } else {
    socket.on('data', (d: Buffer) => raw.push(d))
  }
  return raw
}
afterEach(async () => {
  for (const s of streams) s.on('error', () => {}).destroy()
  streams = []
  await pair.close()
})

describe.each([
  ['data events', false],
  ['SocketReads (reused read buffers)', true],
])('createBoxDuplex over TCP, sockets read with %s', (_, withReads) => {
  beforeEach(async () => {
    pair = await socketPair(true, withReads)
  })

  test('data flows both ways; end() sends the goodbye and the peer sees a clean end', async () => {
    const a = boxDuplex(pair.client, clientKeys)
    const b = boxDuplex(pair.server, serverKeys)
    const closed = Promise.all([once(pair.client, 'close'), once(pair.server, 'close')])
    const big = randomBytes(1024 * 1024 + 3)
    const received = readAll(b)
    a.write(big.subarray(0, 10))
    a.end(big.subarray(10))
    expect((await received).equals(big)).toBe(true)

    // Half-open: b can still answer after a has said goodbye.
    const back = readAll(a)
    b.end(Buffer.from('bye'))
    expect((await back).toString()).toBe('bye')
    // Both directions finished cleanly, so both duplexes release their sockets.
    await closed
  })

  test('sockets made without allowHalfOpen still answer after the peer said goodbye', async () => {
    await pair.close()
    pair = await socketPair(false, withReads)
    const a = boxDuplex(pair.client, clientKeys)
    const b = boxDuplex(pair.server, serverKeys)
    const received = readAll(b)
    const serverEof = once(pair.server, 'end')
    a.end('question')
    expect((await received).toString()).toBe('question')
    await serverEof // the FIN has been processed: Node would now end a non-half-open socket
    const back = readAll(a)
    b.end('answer')
    expect((await back).toString()).toBe('answer')
  })

  test('plain for-await reads to the goodbye without closing our direction', async () => {
    const a = boxDuplex(pair.client, clientKeys)
    const b = boxDuplex(pair.server, serverKeys)
    a.end('one')
    let text = ''
    for await (const chunk of b) text += (chunk as Buffer).toString()
    expect(text).toBe('one')
    expect(b.destroyed).toBe(false)
    const back = readAll(a)
    b.end('two')
    expect((await back).toString()).toBe('two')
  })

  test('many small writes are coalesced and arrive in order', async () => {
    const a = boxDuplex(pair.client, clientKeys)
    const b = boxDuplex(pair.server, serverKeys)
    const received = readAll(b)
    const expected: Buffer[] = []
    for (let i = 0; i < 5000; i++) {
      const chunk = Buffer.from(`frame ${i};`)
      expected.push(chunk)
      a.write(chunk)
    }
    a.end()
    expect((await received).equals(Buffer.concat(expected))).toBe(true)
  })

  test('output buffers are recycled only after the socket wrote them: many distinct 64 KiB writes arrive intact', async () => {
    const a = boxDuplex(pair.client, clientKeys)
    const b = boxDuplex(pair.server, serverKeys)
    const received = readAll(b)
    const expected: Buffer[] = []
    for (let i = 0; i < 200; i++) {
      const chunk = randomBytes(64 * 1024 + (i % 7))
      expected.push(chunk)
      if (!a.write(chunk)) await once(a, 'drain')
    }
    a.write(randomBytes(200 * 1024)) // larger than a recycled buffer: boxed into its own
    a.end()
    const got = await received
    expect(got.subarray(0, got.length - 200 * 1024).equals(Buffer.concat(expected))).toBe(true)
  })

  test('large output buffers (half-megabyte writes) are recycled only after the socket wrote them', async () => {
    const a = boxDuplex(pair.client, clientKeys)
    const b = boxDuplex(pair.server, serverKeys)
    const received = readAll(b)
    const expected: Buffer[] = []
    for (let i = 0; i < 40; i++) {
      // sizes around the recycled sizes, some writes waiting for drain and some not
      const chunk = randomBytes(512 * 1024 + ((i * 37_000) % 300_000))
      expected.push(chunk)
      if (!a.write(chunk) && i % 3 !== 0) await once(a, 'drain')
    }
    a.end(randomBytes(2 * 1024 * 1024)) // larger than any recycled buffer: boxed into its own
    const got = await received
    expect(got.subarray(0, got.length - 2 * 1024 * 1024).equals(Buffer.concat(expected))).toBe(true)
  })

  test('a large write goes out in recycled buffers with the wire bytes of one boxed write', async () => {
    const a = boxDuplex(pair.client, clientKeys)
    const raw = received(pair.server)
    // several pieces at once (one _writev), sizes not multiples of a box, 600 KiB in all
    const pieces = [randomBytes(9), randomBytes(512 * 1024 + 3), randomBytes(70_000), randomBytes(5)]
    a.cork()
    for (const p of pieces) a.write(p)
    a.uncork()
    const second = randomBytes(300 * 1024 + 1)
    a.write(second)
    a.end()
    await once(pair.server, 'end')
    const boxer = createBoxer(k1, n1)
    const want = Buffer.concat([boxer.boxChunks(pieces), boxer.boxChunks([second]), boxer.goodbye()])
    expect(Buffer.concat(raw).equals(want)).toBe(true)
  })

  test('a slow reader pauses the socket, then receives everything', async () => {
    const a = boxDuplex(pair.client, clientKeys)
    const b = boxDuplex(pair.server, serverKeys, { highWaterMark: 16 * 1024 })
    const big = randomBytes(8 * 1024 * 1024)
    a.end(big)
    // Wait (by events, not time) until b stops pulling from its socket.
    b.pause()
    b.on('readable', () => {})
    while (!pair.server.isPaused()) await once(b, 'readable')
    b.removeAllListeners('readable')
    expect(b.readableLength).toBeLessThan(256 * 1024)
    expect(a.writableFinished).toBe(false)
    expect((await readAll(b)).equals(big)).toBe(true)
  })

  test('bytes already buffered in the socket are read first', async () => {
    const boxer = createBoxer(k1, n1)
    pair.client.write(boxer.box(Buffer.from('early')))
    pair.client.write(boxer.goodbye())
    // Make the server socket buffer the bytes without consuming them.
    const reads = pair.reads.get(pair.server)
    if (reads) {
      pair.server.resume()
      while (reads.held === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    } else {
      await once(pair.server, 'readable')
      expect(pair.server.readableLength).toBeGreaterThan(0)
    }
    const b = boxDuplex(pair.server, serverKeys)
    expect((await readAll(b)).toString()).toBe('early')
  })

  test('socket end without a goodbye is BOX_UNEXPECTED_END', async () => {
    const boxer = createBoxer(k1, n1)
    const b = boxDuplex(pair.server, serverKeys)
    const error = errorOf(b)
    pair.client.end(boxer.box(Buffer.from('partial')))
    const err = await error
    expect(err).toBeInstanceOf(BoxStreamError)
    expect(err.code).toBe('BOX_UNEXPECTED_END')
    expect(pair.server.destroyed).toBe(true)
  })

  test('socket reset is BOX_UNEXPECTED_END', async () => {
    const b = boxDuplex(pair.server, serverKeys)
    const error = errorOf(b)
    pair.client.resetAndDestroy()
    expect((await error).code).toBe('BOX_UNEXPECTED_END')
  })

  test('garbage from the peer is BOX_BAD_HEADER and destroys the socket', async () => {
    const b = boxDuplex(pair.server, serverKeys)
    const error = errorOf(b)
    pair.client.write(randomBytes(100))
    expect((await error).code).toBe('BOX_BAD_HEADER')
    expect(pair.server.destroyed).toBe(true)
    await once(pair.client, 'end')
  })

  test('destroying the duplex destroys the socket', async () => {
    const b = boxDuplex(pair.server, serverKeys)
    b.destroy()
    await once(pair.server, 'close')
    await once(pair.client, 'end').catch(() => undefined)
    expect(pair.server.destroyed).toBe(true)
  })
})

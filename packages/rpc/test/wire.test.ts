import { Buffer } from 'node:buffer'
import { afterEach, describe, expect, test } from 'vitest'
import { createRpc, RpcError, type Api, type RpcConnection, type RpcOptions } from '../src/index.js'
import { duplexPair, recordingLogger, type Recorded } from './helpers.js'
import { frameBytes, GOODBYE_BYTES, RawPeer } from './raw-peer.js'

// Frames are built by hand from protocol.md §6, so these tests pin the wire format independently of muxrpc.

const manifest = {
  manifest: 'sync',
  whoami: 'sync',
  text: 'async',
  bin: 'async',
  nothing: 'async',
  fail: 'async',
  failExposed: 'async',
  createHistoryStream: 'source',
  forever: 'source',
  blobs: { get: 'source', add: 'sink' },
  ebt: { replicate: 'duplex' },
} as const

let abortedSeen: (signalAborted: boolean) => void = () => {}
let sunk: unknown[] = []
const api: Api = {
  manifest: () => manifest,
  whoami: (_a, c) => ({ id: c.remoteId }),
  text: () => 'hi',
  bin: () => new Uint8Array([1, 2, 3]),
  nothing: () => undefined,
  fail: () => {
    throw new Error('secret path /home/me/.ssb')
  },
  failExposed: () => {
    throw new RpcError('NOT_FOUND', 'not found: %abc', { expose: true })
  },
  createHistoryStream: async function* () {
    yield { sequence: 1 }
    yield { sequence: 2 }
  },
  forever: async function* (_a, c) {
    try {
      for (let i = 0; ; i++) {
        yield i
        await new Promise((r) => setImmediate(r))
      }
    } finally {
      abortedSeen(c.signal.aborted)
    }
  },
  blobs: {
    get: async function* () {
      yield new Uint8Array([0xde, 0xad])
    },
    add: async (_a, _c, input) => {
      for await (const x of input) sunk.push(x)
      if (sunk.includes('bad')) throw new RpcError('BAD_BLOB', 'hash mismatch', { expose: true })
    },
  },
  ebt: {
    replicate: async function* (_a, _c, input) {
      yield {}
      for await (const x of input) yield x
    },
  },
}

let conn: RpcConnection | null = null
let logs: Recorded[] = []

function setup(opts: Partial<RpcOptions> = {}): { peer: RawPeer; conn: RpcConnection } {
  const [ours, theirs] = duplexPair()
  logs = []
  sunk = []
  conn = createRpc({ stream: ours, api, logger: recordingLogger(logs) }, { manifest, context: { remoteId: '@peer' }, ...opts })
  return { peer: new RawPeer(theirs), conn }
}

afterEach(async () => {
  await conn?.close(new Error('done'))
  conn = null
})

const req = (name: unknown, args: unknown[] = [], type?: string): string =>
  JSON.stringify(type === undefined ? { name, args } : { name, args, type })

describe('async (protocol.md §6.3)', () => {
  test('request without "type" gets a JSON reply to the negated request number', async () => {
    const { peer } = setup()
    peer.send(frameBytes(0x02, 1, req(['whoami'])))
    const f = (await peer.next())!
    expect(Buffer.concat([Buffer.from(f.headerHex, 'hex'), f.body])).toEqual(frameBytes(0x02, -1, '{"id":"@peer"}'))
  })

  test('"type":"async" and the string name "manifest" are accepted; sync is called like async', async () => {
    const { peer } = setup()
    peer.send(frameBytes(0x02, 7, JSON.stringify({ name: 'manifest', args: [], type: 'async' })))
    const f = (await peer.next())!
    expect(f.headerHex.slice(0, 2)).toBe('02')
    expect(f.req).toBe(-7)
    expect(JSON.parse(f.text)).toEqual(manifest)
  })

  test('strings go as type 1, bytes as type 0, undefined as JSON false', async () => {
    const { peer } = setup()
    peer.send(frameBytes(0x02, 1, req(['text'])), frameBytes(0x02, 2, req(['bin'])), frameBytes(0x02, 3, req(['nothing'])))
    const [a, b, c] = await peer.nextN(3)
    expect([a!.headerHex, a!.text]).toEqual(['0100000002ffffffff', 'hi'])
    expect([b!.headerHex, [...b!.body]]).toEqual(['0000000003fffffffe', [1, 2, 3]])
    expect([c!.headerHex, c!.text]).toEqual(['0200000005fffffffd', 'false'])
  })

  test('unknown method: END error frame with muxrpc message and no stack frames', async () => {
    const { peer } = setup()
    peer.send(frameBytes(0x02, 1, req(['foo'])))
    const f = (await peer.next())!
    const body = '{"message":"no async:foo","name":"Error","stack":"Error: no async:foo"}'
    expect(Buffer.concat([Buffer.from(f.headerHex, 'hex'), f.body])).toEqual(frameBytes(0x06, -1, body))
  })

  test('handler errors are generic unless exposed; details go to our log only', async () => {
    const { peer } = setup()
    peer.send(frameBytes(0x02, 1, req(['fail'])), frameBytes(0x02, 2, req(['failExposed'])))
    const [a, b] = await peer.nextN(2)
    expect(a!.flags).toBe(0x06)
    expect(JSON.parse(a!.text)).toEqual({ message: 'internal error', name: 'Error', stack: 'Error: internal error' })
    expect(a!.text).not.toContain('secret')
    expect(JSON.parse(b!.text)).toEqual({ message: 'not found: %abc', name: 'RpcError', stack: 'RpcError: not found: %abc' })
    expect(logs.some((l) => l.level === 'error' && JSON.stringify(l.ctx).includes('fail'))).toBe(true)
  })

  test('permission refusal is an error reply with muxrpc wording', async () => {
    const { peer } = setup({ permissions: { allow: ['whoami', 'blobs.get'] } })
    peer.send(frameBytes(0x02, 1, req(['text'])), frameBytes(0x0a, 2, req(['blobs', 'add'], [], 'sink')))
    peer.send(frameBytes(0x02, 3, req(['whoami'])))
    const [a, b, c] = await peer.nextN(3)
    expect([a!.flags, a!.req, JSON.parse(a!.text).message]).toEqual([0x06, -1, 'method:text is not in list of allowed methods'])
    expect([b!.flags, b!.req, JSON.parse(b!.text).message]).toEqual([0x0e, -2, 'method:blobs,add is not in list of allowed methods'])
    expect([c!.flags, c!.text]).toEqual([0x02, '{"id":"@peer"}'])
  })
})

describe('streams (protocol.md §6.3)', () => {
  test('source: the §6.3 example request, data to -req, END true, then the caller END closes it', async () => {
    const { peer, conn } = setup()
    const body =
      '{"name":["createHistoryStream"],"args":[{"id":"@iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=.ed25519","seq":1,"live":true,"keys":false}],"type":"source"}'
    const request = frameBytes(0x0a, 3, body)
    expect(request.subarray(0, 9).toString('hex')).toBe('0a0000009900000003')
    peer.send(request)
    const [d1, d2, end] = await peer.nextN(3)
    expect([d1!.headerHex, d1!.text]).toEqual(['0a0000000efffffffd', '{"sequence":1}'])
    expect([d2!.headerHex, d2!.text]).toEqual(['0a0000000efffffffd', '{"sequence":2}'])
    expect(Buffer.concat([Buffer.from(end!.headerHex, 'hex'), end!.body])).toEqual(Buffer.from('0e00000004fffffffd74727565', 'hex'))
    expect(conn.stats().inboundOpen).toBe(1)
    peer.send(frameBytes(0x0e, 3, 'true'))
    peer.send(frameBytes(0x02, 4, req(['whoami'])))
    await peer.next()
    expect(conn.stats().inboundOpen).toBe(0)
  })

  test('source: caller aborts with END true; we answer END true and stop the handler', async () => {
    const { peer, conn } = setup()
    const handlerStopped = new Promise<boolean>((resolve) => (abortedSeen = resolve))
    peer.send(frameBytes(0x0a, 1, req(['forever'], [], 'source')))
    const [first] = await peer.nextN(1)
    expect([first!.flags, first!.req, first!.text]).toEqual([0x0a, -1, '0'])
    peer.send(frameBytes(0x0e, 1, 'true'))
    let f = (await peer.next())!
    while (f.flags === 0x0a) f = (await peer.next())!
    expect([f.flags, f.req, f.text]).toEqual([0x0e, -1, 'true'])
    peer.send(frameBytes(0x02, 2, req(['whoami'])))
    await peer.next()
    expect(conn.stats().inboundOpen).toBe(0)
    expect(await handlerStopped).toBe(true)
  })

  test('binary stream items are type 0 with STREAM set', async () => {
    const { peer } = setup()
    peer.send(frameBytes(0x0a, 1, req(['blobs', 'get'], ['&x'], 'source')))
    const [d, end] = await peer.nextN(2)
    expect([d!.headerHex, [...d!.body]]).toEqual(['0800000002ffffffff', [0xde, 0xad]])
    expect([end!.flags, end!.text]).toEqual([0x0e, 'true'])
  })

  test('sink: our END comes after the handler finished, and carries its error', async () => {
    const { peer, conn } = setup()
    peer.send(frameBytes(0x0a, 1, req(['blobs', 'add'], [], 'sink')))
    peer.send(frameBytes(0x09, 1, 'one'), frameBytes(0x08, 1, Buffer.from([9])), frameBytes(0x0e, 1, 'true'))
    const end = (await peer.next())!
    expect([end.flags, end.req, end.text]).toEqual([0x0e, -1, 'true'])
    expect(sunk).toEqual(['one', new Uint8Array([9])])
    peer.send(frameBytes(0x0a, 2, req(['blobs', 'add'], [], 'sink')), frameBytes(0x09, 2, 'bad'), frameBytes(0x0e, 2, 'true'))
    const err = (await peer.next())!
    expect([err.flags, err.req, JSON.parse(err.text).message]).toEqual([0x0e, -2, 'hash mismatch'])
    peer.send(frameBytes(0x02, 3, req(['whoami'])))
    await peer.next()
    expect(conn.stats().inboundOpen).toBe(0)
  })

  test('duplex: when the peer ends, we send our END too (no half-open stream left, trap 10)', async () => {
    const { peer, conn } = setup()
    peer.send(frameBytes(0x0a, 5, req(['ebt', 'replicate'], [{ version: 3 }], 'duplex')))
    const notes = (await peer.next())!
    expect([notes.flags, notes.req, notes.text]).toEqual([0x0a, -5, '{}'])
    peer.send(frameBytes(0x0a, 5, '{"@a":2}'))
    expect((await peer.next())!.text).toBe('{"@a":2}')
    peer.send(frameBytes(0x0e, 5, 'true'))
    const end = (await peer.next())!
    expect([end.flags, end.req, end.text]).toEqual([0x0e, -5, 'true'])
    peer.send(frameBytes(0x02, 6, req(['whoami'])))
    await peer.next()
    expect(conn.stats().inboundOpen).toBe(0)
  })

  test('unsupported stream type is refused with muxrpc wording', async () => {
    const { peer } = setup()
    peer.send(frameBytes(0x0a, 1, req(['whoami'], [], 'async')), frameBytes(0x0a, 1, '1'), frameBytes(0x0e, 1, 'true'))
    peer.send(frameBytes(0x02, 2, req(['whoami'])))
    const [f, ok] = await peer.nextN(2)
    const body = '{"message":"unsupported stream type: async","name":"Error","stack":"Error: unsupported stream type: async"}'
    expect([f!.flags, f!.req, f!.text]).toEqual([0x0e, -1, body])
    expect([ok!.flags, ok!.req]).toEqual([0x02, -2])
  })
})

describe('hostile and malformed input', () => {
  test('malformed requests get error replies, stray frames are dropped, the connection survives', async () => {
    const { peer, conn } = setup()
    peer.send(frameBytes(0x02, 1, 'null'), frameBytes(0x0a, 2, '5'), frameBytes(0x02, 3, '{"name":["whoami"],"args":{}}'))
    const [a, b, c] = await peer.nextN(3)
    expect([a!.flags, a!.req, b!.flags, b!.req, c!.flags, c!.req]).toEqual([0x06, -1, 0x0e, -2, 0x06, -3])
    peer.send(frameBytes(0x0e, 2, 'true')) // answers the refusal
    peer.send(frameBytes(0x02, -9, '1'), frameBytes(0x0a, -9, '1'), frameBytes(0x0e, 40, 'false'), frameBytes(0x02, 0, '{}'))
    peer.send(frameBytes(0x02, 4, req(['whoami'])))
    const ok = (await peer.next())!
    expect([ok.flags, ok.req]).toEqual([0x02, -4])
    expect(conn.closed).toBe(false)
    expect(conn.stats().inboundOpen).toBe(0)
  })

  test('calls beyond maxOpenCalls get an error reply, not state', async () => {
    const { peer, conn } = setup({ maxOpenCalls: 2 })
    peer.send(frameBytes(0x0a, 1, req(['forever'], [], 'source')), frameBytes(0x0a, 2, req(['forever'], [], 'source')))
    peer.send(frameBytes(0x0a, 3, req(['forever'], [], 'source')), frameBytes(0x02, 4, req(['whoami'])))
    let refusedStream: unknown
    let refusedAsync: unknown
    while (refusedStream === undefined || refusedAsync === undefined) {
      const f = (await peer.next())!
      if (f.req === -3) refusedStream = [f.flags, JSON.parse(f.text).message]
      if (f.req === -4) refusedAsync = [f.flags, JSON.parse(f.text).message]
    }
    const msg = 'too many open calls on this connection (max 2)'
    expect(refusedStream).toEqual([0x0e, msg])
    expect(refusedAsync).toEqual([0x06, msg])
    expect(conn.stats().inboundOpen).toBe(2)
  })

  test('a length field above the limit closes the connection before the body arrives', async () => {
    const { peer, conn } = setup({ maxFrameBytes: 1024 })
    const header = Buffer.from('02000004010000000a', 'hex') // 1025-byte body announced, none sent
    peer.send(header)
    const err = await conn.whenClosed()
    expect(err).toBeInstanceOf(RpcError)
    expect(err!.code).toBe('RPC_FRAME_TOO_LARGE')
    expect(await peer.next()).toBeNull()
  })

  test('goodbye: 9 zero bytes are answered with 9 zero bytes, then the stream ends', async () => {
    const { peer, conn } = setup()
    peer.send(GOODBYE_BYTES)
    const f = (await peer.next())!
    expect(f.headerHex).toBe('000000000000000000')
    expect(await conn.whenClosed()).toBeUndefined()
    peer.stream.end()
    expect(await peer.next()).toBeNull()
  })
})

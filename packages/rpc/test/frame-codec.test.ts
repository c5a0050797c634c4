import { Buffer } from 'node:buffer'
import { describe, expect, test } from 'vitest'
import { encodeFrame, encodeGoodbye, FrameDecoder, MAX_FRAME_BODY, readHeader, RpcError, type Frame } from '../src/index.js'
import { frameBytes } from './raw-peer.js'

const hex = (u8: Uint8Array): string => Buffer.from(u8).toString('hex')

describe('encodeFrame (protocol.md §6.1)', () => {
  test('flags, big-endian length, signed request number', () => {
    expect(hex(encodeFrame({ req: -3, stream: true, end: true, value: true }))).toBe('0e00000004fffffffd' + hex(Buffer.from('true')))
    expect(hex(encodeFrame({ req: 1, stream: false, end: false, value: { a: 1 } }))).toBe('0200000007' + '00000001' + hex(Buffer.from('{"a":1}')))
    expect(hex(encodeFrame({ req: 2, stream: true, end: false, value: 'é' })).slice(0, 18)).toBe('090000000200000002')
    expect(hex(encodeFrame({ req: 2147483647, stream: true, end: false, value: new Uint8Array([5]) }))).toBe('08000000017fffffff05')
    expect(hex(encodeFrame({ req: -2147483647, stream: false, end: false, value: null })).slice(0, 18)).toBe('020000000480000001')
  })

  test('undefined value sends `end` like packet-stream-codec; empty strings never look like goodbye', () => {
    expect(hex(encodeFrame({ req: -1, stream: false, end: false, value: undefined }))).toBe(hex(frameBytes(0x02, -1, 'false')))
    expect(hex(encodeFrame({ req: -1, stream: false, end: false, value: '' }))).toBe(hex(frameBytes(0x02, -1, '""')))
    expect(hex(encodeFrame({ req: -1, stream: false, end: false, value: new Uint8Array(0) }))).toBe(hex(frameBytes(0x02, -1, '""')))
  })

  test('goodbye is 9 zero bytes', () => {
    expect(hex(encodeGoodbye())).toBe('000000000000000000')
  })
})

describe('FrameDecoder', () => {
  const frames: Frame[] = [
    { req: 1, stream: false, end: false, value: { name: ['whoami'], args: [] } },
    { req: -1, stream: true, end: false, value: 'text' },
    { req: 5, stream: true, end: false, value: new Uint8Array([1, 2, 3]) },
    { req: -5, stream: true, end: true, value: true },
  ]
  const wire = Buffer.concat(frames.map((f) => encodeFrame(f)))

  test('decodes frames split at every byte boundary', () => {
    for (let cut = 0; cut <= wire.length; cut++) {
      const d = new FrameDecoder()
      const out = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))]
      expect(out).toEqual(frames)
    }
    const d = new FrameDecoder()
    const out: unknown[] = []
    for (const byte of wire) out.push(...d.push(Uint8Array.of(byte)))
    expect(out).toEqual(frames)
  })

  test('binary bodies come back as Uint8Array that do not alias the input chunk', () => {
    const chunk = Buffer.from(frameBytes(0x08, 1, Buffer.from([7, 8])))
    const [f] = new FrameDecoder().push(chunk) as Frame[]
    expect(f!.value).toEqual(new Uint8Array([7, 8]))
    chunk[9] = 0
    expect(f!.value).toEqual(new Uint8Array([7, 8]))
  })

  test('a zero-length header is the goodbye; later bytes are ignored', () => {
    const d = new FrameDecoder()
    expect(d.push(Buffer.concat([frameBytes(0x02, 1, '1'), Buffer.alloc(9), frameBytes(0x02, 2, '2')]))).toEqual([
      { req: 1, stream: false, end: false, value: 1 },
      'GOODBYE',
    ])
    expect(d.ended).toBe(true)
    expect(d.push(frameBytes(0x02, 3, '3'))).toEqual([])
  })

  test('an oversized length is refused from the header alone', () => {
    const d = new FrameDecoder(100)
    const header = Buffer.from('0200000065' + '00000001', 'hex') // 101 bytes announced
    try {
      d.push(header)
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(RpcError)
      expect((err as RpcError).code).toBe('RPC_FRAME_TOO_LARGE')
    }
    expect(() => readHeader(Buffer.from('02ffffffff00000001', 'hex'))).toThrow(/exceeds the 8388608 byte limit/)
    expect(readHeader(Buffer.from('0200800000' + '00000001', 'hex'), MAX_FRAME_BODY).length).toBe(MAX_FRAME_BODY)
  })

  test('bad body type, bad JSON, short header: RpcError RPC_BAD_FRAME', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f()
      } catch (err) {
        return err instanceof RpcError ? err.code : 'not an RpcError'
      }
      return undefined
    }
    expect(code(() => new FrameDecoder().push(frameBytes(0x03, 1, 'x')))).toBe('RPC_BAD_FRAME')
    expect(code(() => new FrameDecoder().push(frameBytes(0x02, 1, '{nope')))).toBe('RPC_BAD_FRAME')
    expect(code(() => readHeader(new Uint8Array(8)))).toBe('RPC_BAD_FRAME')
  })
})

test('a value carrying its JSON text under Symbol.for("ssb.rawJson") is sent as that text', () => {
  const json = Buffer.from('{"key":"%x","value":{"a":[1,2]},"timestamp":1,"rts":1}')
  const raw = { [Symbol.for('ssb.rawJson')]: json }
  const frame = encodeFrame({ req: 3, stream: true, end: false, value: raw })
  const valueOf = (bytes: Uint8Array): unknown => (new FrameDecoder().push(bytes)[0] as Frame).value
  expect(valueOf(frame)).toEqual(JSON.parse(json.toString()))
  // anything else with that key (not bytes) is serialised as usual
  expect(valueOf(encodeFrame({ req: 3, stream: true, end: false, value: { [Symbol.for('ssb.rawJson')]: 'nope', a: 1 } }))).toEqual({ a: 1 })
})

describe('FrameDecoder: binary bodies and the buffers they arrive in', () => {
  const binaryFrame = (req: number, body: Uint8Array): Uint8Array => encodeFrame({ req, stream: true, end: false, value: body })

  test('a frame spanning chunks that are adjacent views of one buffer comes out as a view, not a copy', () => {
    const body = Uint8Array.from({ length: 64 * 1024 }, (_, i) => i & 0xff)
    const wire = Buffer.concat([binaryFrame(1, body), binaryFrame(2, body)])
    const shared = Buffer.alloc(wire.length + 100)
    wire.copy(shared, 50)
    const decoder = new FrameDecoder()
    const frames = []
    // Cut anywhere, as a box stream's plaintext arrives: adjacent views of `shared`.
    for (const [from, to] of [[50, 30_000], [30_000, 70_000], [70_000, 50 + wire.length]] as const) {
      frames.push(...decoder.push(shared.subarray(from, to)))
    }
    expect(frames).toHaveLength(2)
    for (const f of frames as Frame[]) {
      const value = f.value as Uint8Array
      expect(Buffer.from(value).equals(Buffer.from(body))).toBe(true)
      expect(value.buffer).toBe(shared.buffer)
    }
  })

  test('chunks of different buffers are reassembled into a copy with the right bytes', () => {
    const body = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 7) & 0xff)
    const wire = Buffer.from(binaryFrame(3, body))
    const decoder = new FrameDecoder()
    const frames = [...decoder.push(Buffer.from(wire.subarray(0, 20_000))), ...decoder.push(Buffer.from(wire.subarray(20_000)))]
    const value = (frames[0] as Frame).value as Uint8Array
    expect(Buffer.from(value).equals(Buffer.from(body))).toBe(true)
  })

  test('a small binary body is copied out: it does not keep the whole transport chunk alive', () => {
    const wire = Buffer.concat([binaryFrame(4, Uint8Array.from([1, 2, 3])), Buffer.alloc(60_000, 0x20)])
    const [frame] = new FrameDecoder().push(wire.subarray(0, 12))
    const value = (frame as Frame).value as Uint8Array
    expect([...value]).toEqual([1, 2, 3])
    expect(value.buffer).not.toBe(wire.buffer)
    expect(value.buffer.byteLength).toBeLessThan(1024)
  })
})

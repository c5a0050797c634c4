import { Buffer } from 'node:buffer'
import fc from 'fast-check'
import { expect, test } from 'vitest'
import { encodeFrame, FrameDecoder, readHeader, RpcError, type Frame } from '../src/index.js'

test('random bytes never crash the decoder: frames, or an RpcError', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), fc.integer({ min: 0, max: 4096 }), (chunks, max) => {
      const d = new FrameDecoder(max)
      try {
        for (const c of chunks) d.push(c)
      } catch (err) {
        expect(err).toBeInstanceOf(RpcError)
        expect(['RPC_BAD_FRAME', 'RPC_FRAME_TOO_LARGE']).toContain((err as RpcError).code)
      }
    }),
    { numRuns: 2000 },
  )
})

test('readHeader throws only RpcError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 16 }), (bytes) => {
      try {
        readHeader(bytes)
      } catch (err) {
        expect(err).toBeInstanceOf(RpcError)
      }
    }),
    { numRuns: 2000 },
  )
})

const jsonValue = fc.jsonValue().filter((v) => v !== '' && v !== undefined)
const frameArb: fc.Arbitrary<Frame> = fc.record({
  req: fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }).filter((n) => n !== 0),
  stream: fc.boolean(),
  end: fc.boolean(),
  value: fc.oneof(jsonValue, fc.string({ minLength: 1 }), fc.uint8Array({ minLength: 1, maxLength: 300 })),
})

test('encode → decode round-trips under any chunking', () => {
  fc.assert(
    fc.property(fc.array(frameArb, { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1 }), (frames, sizes) => {
      const wire = Buffer.concat(frames.map((f) => encodeFrame(f)))
      const d = new FrameDecoder()
      const out: unknown[] = []
      let at = 0
      for (let i = 0; at < wire.length; i++) {
        const n = sizes[i % sizes.length]!
        out.push(...d.push(wire.subarray(at, at + n)))
        at += n
      }
      // JSON normalises -0 and the like; compare what JSON would give back.
      const expected = frames.map((f) => ({ ...f, value: f.value instanceof Uint8Array || typeof f.value === 'string' ? f.value : JSON.parse(JSON.stringify(f.value)) }))
      expect(out).toEqual(expected)
    }),
    { numRuns: 500 },
  )
})

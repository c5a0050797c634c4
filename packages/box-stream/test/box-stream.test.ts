import sodium from 'sodium-native'
import { describe, expect, test } from 'vitest'
import {
  BoxStreamError,
  createBoxer,
  createUnboxer,
  incrementNonce,
  MAX_BOX_BODY_BYTES,
  BOXED_HEADER_BYTES,
} from '../src/index.js'
import { concat, hex, toHex, vectors } from './vectors.js'

const key = new Uint8Array(32).fill(7)
const nonce = new Uint8Array(24).fill(9)

function expectBoxError(fn: () => unknown, code: string): void {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(BoxStreamError)
  expect((caught as BoxStreamError).name).toBe('BoxStreamError')
  expect((caught as BoxStreamError).code).toBe(code)
}

describe('vectors (interop/vectors/box-stream.json)', () => {
  test.each(vectors)('$description: boxer output is byte-exact', (v) => {
    const boxer = createBoxer(hex(v.key), hex(v.nonce))
    const wire = concat([...v.writes.map((w) => boxer.box(hex(w))), boxer.goodbye()])
    expect(toHex(wire)).toBe(v.wire)
  })

  test.each(vectors)('$description: unboxer recovers the writes, one byte at a time', (v) => {
    const unboxer = createUnboxer(hex(v.key), hex(v.nonce))
    const wire = hex(v.wire)
    const out: Uint8Array[] = []
    for (let i = 0; i < wire.length; i++) out.push(...unboxer.push(wire.subarray(i, i + 1)))
    expect(unboxer.ended).toBe(true)
    unboxer.end()
    expect(toHex(concat(out))).toBe(v.writes.join(''))
  })

  test('protocol.md §5.1: header, body and goodbye separately', () => {
    const v = vectors[0]!
    const boxer = createBoxer(hex(v.key), hex(v.nonce))
    const boxed = boxer.box(hex(v.writes[0]!))
    expect(toHex(boxed.subarray(0, BOXED_HEADER_BYTES))).toBe(v.header)
    expect(toHex(boxed.subarray(BOXED_HEADER_BYTES))).toBe(v.body)
    expect(toHex(boxer.goodbye())).toBe(v.goodbye)
  })
})

describe('boxer', () => {
  test('splits into boxes of at most 4096 bytes and skips empty writes', () => {
    const boxer = createBoxer(key, nonce)
    expect(boxer.box(new Uint8Array(0))).toHaveLength(0)
    expect(boxer.box(new Uint8Array(MAX_BOX_BODY_BYTES))).toHaveLength(34 + 4096)
    expect(boxer.box(new Uint8Array(MAX_BOX_BODY_BYTES + 1))).toHaveLength(2 * 34 + 4097)
  })

  test('box after goodbye throws BOX_ENDED', () => {
    const boxer = createBoxer(key, nonce)
    boxer.goodbye()
    expect(boxer.ended).toBe(true)
    expectBoxError(() => boxer.box(new Uint8Array(1)), 'BOX_ENDED')
    expectBoxError(() => boxer.goodbye(), 'BOX_ENDED')
  })

  test('rejects keys and nonces of the wrong length', () => {
    expectBoxError(() => createBoxer(new Uint8Array(31), nonce), 'BOX_INVALID_ARGUMENT')
    expectBoxError(() => createBoxer(key, new Uint8Array(25)), 'BOX_INVALID_ARGUMENT')
    expectBoxError(() => createUnboxer(key, 'x' as unknown as Uint8Array), 'BOX_INVALID_ARGUMENT')
  })

  test('does not keep references to the caller key and nonce', () => {
    const k = key.slice()
    const n = nonce.slice()
    const boxer = createBoxer(k, n)
    k.fill(0)
    n.fill(0)
    const unboxer = createUnboxer(key, nonce)
    expect(toHex(concat(unboxer.push(boxer.box(hex('abcd')))))).toBe('abcd')
  })
})

describe('incrementNonce', () => {
  test('big-endian with carry across all 24 bytes', () => {
    const cases: [string, string][] = [
      ['00'.repeat(24), '00'.repeat(23) + '01'],
      ['00'.repeat(23) + 'ff', '00'.repeat(22) + '0100'],
      ['00' + 'ff'.repeat(23), '01' + '00'.repeat(23)],
      ['ff'.repeat(24), '00'.repeat(24)],
      ['12'.repeat(22) + 'feff', '12'.repeat(22) + 'ff00'],
    ]
    for (const [from, to] of cases) {
      const n = hex(from)
      incrementNonce(n)
      expect(toHex(n)).toBe(to)
    }
  })
})

describe('unboxer', () => {
  const wireOf = (...writes: Uint8Array[]): Uint8Array => {
    const boxer = createBoxer(key, nonce)
    return concat([...writes.map((w) => boxer.box(w)), boxer.goodbye()])
  }

  test('a flipped header byte is BOX_BAD_HEADER, and the error sticks', () => {
    const wire = wireOf(new Uint8Array(100).fill(1))
    wire[5]! ^= 1
    const unboxer = createUnboxer(key, nonce)
    expectBoxError(() => unboxer.push(wire), 'BOX_BAD_HEADER')
    expectBoxError(() => unboxer.push(new Uint8Array(1)), 'BOX_BAD_HEADER')
    expectBoxError(() => unboxer.end(), 'BOX_BAD_HEADER')
  })

  test('a flipped body byte is BOX_BAD_BODY', () => {
    const wire = wireOf(new Uint8Array(100).fill(1))
    wire[BOXED_HEADER_BYTES + 50]! ^= 0x80
    expectBoxError(() => createUnboxer(key, nonce).push(wire), 'BOX_BAD_BODY')
  })

  test('an authentic header claiming more than 4096 bytes is BOX_TOO_LONG', () => {
    const header = Buffer.alloc(18)
    header.writeUInt16BE(MAX_BOX_BODY_BYTES + 1, 0)
    const boxed = Buffer.alloc(34)
    sodium.crypto_secretbox_easy(boxed, header, Buffer.from(nonce), Buffer.from(key))
    const unboxer = createUnboxer(key, nonce)
    expectBoxError(() => unboxer.push(boxed), 'BOX_TOO_LONG')
    expect(unboxer.buffered).toBe(0)
  })

  test('input that stops before the goodbye is BOX_UNEXPECTED_END', () => {
    const wire = wireOf(new Uint8Array(5000).fill(2))
    const unboxer = createUnboxer(key, nonce)
    const out = unboxer.push(wire.subarray(0, wire.length - 34))
    expect(concat(out)).toEqual(new Uint8Array(5000).fill(2))
    expect(unboxer.ended).toBe(false)
    expectBoxError(() => unboxer.end(), 'BOX_UNEXPECTED_END')
  })

  test('a box that decrypts with the wrong key is BOX_BAD_HEADER', () => {
    const wire = wireOf(new Uint8Array(10))
    expectBoxError(() => createUnboxer(new Uint8Array(32).fill(8), nonce).push(wire), 'BOX_BAD_HEADER')
  })

  test('bytes after the goodbye are ignored', () => {
    const wire = wireOf(hex('0102'))
    const unboxer = createUnboxer(key, nonce)
    const out = unboxer.push(concat([wire, new Uint8Array(100).fill(0xaa)]))
    expect(toHex(concat(out))).toBe('0102')
    expect(unboxer.ended).toBe(true)
    expect(unboxer.push(new Uint8Array(50))).toEqual([])
  })

  test('holds at most one partial header or body', () => {
    const wire = wireOf(new Uint8Array(3 * MAX_BOX_BODY_BYTES + 17).fill(3))
    const unboxer = createUnboxer(key, nonce)
    let max = 0
    let total = 0
    for (let i = 0; i < wire.length; i += 97) {
      total += concat(unboxer.push(wire.subarray(i, i + 97))).length
      max = Math.max(max, unboxer.buffered)
    }
    expect(total).toBe(3 * MAX_BOX_BODY_BYTES + 17)
    expect(max).toBeLessThan(MAX_BOX_BODY_BYTES)
    expect(max).toBeGreaterThan(MAX_BOX_BODY_BYTES - 97)
  })
})

describe('unboxer output buffers', () => {
  const bulk = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)

  test('bulk pushes decrypt back to back into one buffer: consecutive chunks are adjacent views', () => {
    const boxer = createBoxer(key, nonce)
    const unboxer = createUnboxer(key, nonce)
    const plain = bulk(180 * 1024, 1)
    const wire = boxer.box(plain)
    const chunks: Uint8Array[] = []
    // Socket-sized reads that cut boxes anywhere (the last one is small).
    for (let at = 0; at < wire.length; at += 60_000) chunks.push(...unboxer.push(wire.subarray(at, at + 60_000)))
    expect(Buffer.from(concat(chunks)).equals(Buffer.from(plain))).toBe(true)
    for (let i = 1; i < chunks.length; i++) {
      const [a, b] = [chunks[i - 1]!, chunks[i]!]
      if (a.buffer === b.buffer) expect(b.byteOffset).toBe(a.byteOffset + a.byteLength)
    }
    // The bulk pushes fit one 256 KiB buffer: one contiguous span.
    expect(chunks.length).toBe(4)
    expect(new Set(chunks.slice(0, 3).map((c) => c.buffer)).size).toBe(1)
  })

  test('chunks handed out are never overwritten by later pushes', () => {
    const boxer = createBoxer(key, nonce)
    const unboxer = createUnboxer(key, nonce)
    const plains = Array.from({ length: 40 }, (_, i) => bulk(60 * 1024 + i, i))
    const got: Uint8Array[] = []
    for (const p of plains) got.push(...unboxer.push(boxer.box(p)))
    // 40 × 60 KiB spans several buffers; every chunk still holds what it held when returned.
    expect(new Set(got.map((c) => c.buffer)).size).toBeGreaterThan(5)
    expect(Buffer.from(concat(got)).equals(Buffer.from(concat(plains)))).toBe(true)
  })

  test('small pushes get buffers of their own and do not keep a bulk buffer alive', () => {
    const boxer = createBoxer(key, nonce)
    const unboxer = createUnboxer(key, nonce)
    const [first] = unboxer.push(boxer.box(bulk(100, 1)))
    const [second] = unboxer.push(boxer.box(bulk(100, 2)))
    expect(first!.buffer.byteLength).toBeLessThan(16 * 1024)
    expect(second!.buffer).not.toBe(first!.buffer)
    const [big] = unboxer.push(boxer.box(bulk(64 * 1024, 3)))
    expect(big!.buffer.byteLength).toBe(256 * 1024)
    const [small] = unboxer.push(boxer.box(bulk(100, 4)))
    const [next] = unboxer.push(boxer.box(bulk(64 * 1024, 5)))
    // The next bulk push starts a new buffer: the first one is no longer referenced by the unboxer.
    expect(next!.buffer).not.toBe(big!.buffer)
    expect(Buffer.from(next!).equals(Buffer.from(bulk(64 * 1024, 5)))).toBe(true)
    expect(Buffer.from(small!).equals(Buffer.from(bulk(100, 4)))).toBe(true)
  })

  test('the tail of a burst goes on in the bulk buffer: a frame spanning the two stays one view', () => {
    const boxer = createBoxer(key, nonce)
    const unboxer = createUnboxer(key, nonce)
    const plain = bulk(64 * 1024 + 9, 6)
    const wire = boxer.box(plain)
    // A socket read of 64 KiB, then the 2 KiB that complete the frame.
    const [head] = unboxer.push(wire.subarray(0, 64 * 1024))
    const [tail] = unboxer.push(wire.subarray(64 * 1024))
    expect(tail!.buffer).toBe(head!.buffer)
    expect(tail!.byteOffset).toBe(head!.byteOffset + head!.byteLength)
    expect(Buffer.from(concat([head!, tail!])).equals(Buffer.from(plain))).toBe(true)
    // …and after it the unboxer lets go of that buffer.
    const [after] = unboxer.push(boxer.box(bulk(100, 7)))
    expect(after!.buffer).not.toBe(head!.buffer)
    expect(after!.buffer.byteLength).toBeLessThan(16 * 1024)
  })

  test('a small push that does not fit what is left of the bulk buffer gets a buffer of its own', () => {
    const boxer = createBoxer(key, nonce)
    const unboxer = createUnboxer(key, nonce)
    // Fill the 256 KiB buffer to within 1 KiB of its end.
    const [big] = unboxer.push(boxer.box(bulk(255 * 1024, 8)))
    const [small] = unboxer.push(boxer.box(bulk(8 * 1024, 9)))
    expect(small!.buffer).not.toBe(big!.buffer)
    expect(Buffer.from(small!).equals(Buffer.from(bulk(8 * 1024, 9)))).toBe(true)
    expect(Buffer.from(big!).equals(Buffer.from(bulk(255 * 1024, 8)))).toBe(true)
  })
})

import fc from 'fast-check'
import { expect, test } from 'vitest'
import { boxedLength, BoxStreamError, createBoxer, createUnboxer } from '../src/index.js'
import { concat } from './vectors.js'

const keyArb = fc.uint8Array({ minLength: 32, maxLength: 32 })
const nonceArb = fc.uint8Array({ minLength: 24, maxLength: 24 })
const writesArb = fc.array(fc.uint8Array({ maxLength: 9000 }), { maxLength: 6 })

function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const parts: Uint8Array[] = []
  let prev = 0
  for (const p of [...points, bytes.length]) {
    parts.push(bytes.subarray(prev, p))
    prev = p
  }
  return parts
}

function boxAll(key: Uint8Array, nonce: Uint8Array, writes: Uint8Array[]): Uint8Array {
  const boxer = createBoxer(key, nonce)
  return concat([...writes.map((w) => boxer.box(w)), boxer.goodbye()])
}

/** Runs the whole input through an unboxer; returns the plaintext or the error thrown. */
function unboxAll(key: Uint8Array, nonce: Uint8Array, parts: Uint8Array[]): Uint8Array | unknown {
  const unboxer = createUnboxer(key, nonce)
  try {
    const out: Uint8Array[] = []
    for (const p of parts) out.push(...unboxer.push(p))
    unboxer.end()
    return concat(out)
  } catch (err) {
    return err
  }
}

test('random plaintexts round-trip through random chunkings', () => {
  fc.assert(
    fc.property(keyArb, nonceArb, writesArb, fc.array(fc.nat(), { maxLength: 12 }), (key, nonce, writes, cuts) => {
      const wire = boxAll(key, nonce, writes)
      expect(unboxAll(key, nonce, split(wire, cuts))).toEqual(concat(writes))
    }),
    { numRuns: 200 },
  )
})

test('random bytes only ever produce BoxStreamError', () => {
  fc.assert(
    fc.property(keyArb, nonceArb, fc.uint8Array({ maxLength: 5000 }), fc.array(fc.nat(), { maxLength: 5 }), (key, nonce, bytes, cuts) => {
      const result = unboxAll(key, nonce, split(bytes, cuts))
      expect(result).toBeInstanceOf(BoxStreamError)
    }),
    { numRuns: 500 },
  )
})

test('any flipped bit in a valid stream is detected', () => {
  fc.assert(
    fc.property(keyArb, nonceArb, writesArb, fc.nat(), fc.integer({ min: 0, max: 7 }), (key, nonce, writes, at, bit) => {
      const wire = boxAll(key, nonce, writes).slice()
      wire[at % wire.length]! ^= 1 << bit
      const result = unboxAll(key, nonce, [wire])
      expect(result).toBeInstanceOf(BoxStreamError)
      expect(['BOX_BAD_HEADER', 'BOX_BAD_BODY']).toContain((result as BoxStreamError).code)
    }),
    { numRuns: 300 },
  )
})

test('a truncated valid stream is BOX_UNEXPECTED_END, never a crash or a silent end', () => {
  fc.assert(
    fc.property(keyArb, nonceArb, writesArb, fc.nat(), (key, nonce, writes, cut) => {
      const wire = boxAll(key, nonce, writes)
      const result = unboxAll(key, nonce, [wire.subarray(0, cut % wire.length)])
      expect(result).toBeInstanceOf(BoxStreamError)
      expect((result as BoxStreamError).code).toBe('BOX_UNEXPECTED_END')
    }),
    { numRuns: 300 },
  )
})

test('boxChunks writes the same bytes as box of the concatenation, for any split of any writes', () => {
  const chunkingsArb = fc.array(fc.tuple(fc.uint8Array({ maxLength: 13000 }), fc.array(fc.nat(), { maxLength: 6 })), { maxLength: 5 })
  fc.assert(
    fc.property(keyArb, nonceArb, chunkingsArb, (key, nonce, writes) => {
      const whole = createBoxer(key, nonce)
      const pieces = createBoxer(key, nonce)
      for (const [bytes, cuts] of writes) {
        expect(Buffer.from(pieces.boxChunks(split(bytes, cuts)))).toEqual(Buffer.from(whole.box(bytes)))
      }
      expect(Buffer.from(pieces.goodbye())).toEqual(Buffer.from(whole.goodbye()))
    }),
    { numRuns: 200 },
  )
})

test('boxChunksInto writes the bytes boxChunks returns into the given buffer, and refuses one too small', () => {
  fc.assert(
    fc.property(keyArb, nonceArb, writesArb, (key, nonce, writes) => {
      const fresh = createBoxer(key, nonce)
      const into = createBoxer(key, nonce)
      const out = new Uint8Array(boxedLength(9000) + 5)
      for (const bytes of writes) {
        const wire = into.boxChunksInto([bytes], out)
        expect(wire.buffer).toBe(out.buffer)
        expect(wire.length).toBe(boxedLength(bytes.length))
        expect(Buffer.from(wire)).toEqual(Buffer.from(fresh.box(bytes)))
      }
    }),
    { numRuns: 100 },
  )
  const boxer = createBoxer(new Uint8Array(32), new Uint8Array(24))
  expect(() => boxer.boxChunksInto([new Uint8Array(100)], new Uint8Array(boxedLength(100) - 1))).toThrow(BoxStreamError)
})

test('the plaintext completed by one push comes back as one chunk', () => {
  fc.assert(
    fc.property(keyArb, nonceArb, fc.array(fc.uint8Array({ minLength: 1, maxLength: 9000 }), { minLength: 1, maxLength: 6 }), (key, nonce, writes) => {
      const wire = boxAll(key, nonce, writes)
      const out = createUnboxer(key, nonce).push(wire)
      expect(out.length).toBe(1)
      expect(out[0]).toEqual(concat(writes))
    }),
    { numRuns: 100 },
  )
})

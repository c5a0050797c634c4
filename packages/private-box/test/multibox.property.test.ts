import { generateKeys, type Keys } from '@ssb/keys'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  box,
  boxContent,
  HEADER_BYTES,
  MAX_CIPHERTEXT_BYTES,
  PrivateBoxError,
  SLOT_BYTES,
  unbox,
  unboxContent,
} from '@ssb/private-box'

const pool: Keys[] = Array.from({ length: 10 }, () => generateKeys())
const outsider = generateKeys()
const MAX_PLAINTEXT = MAX_CIPHERTEXT_BYTES - HEADER_BYTES - 7 * SLOT_BYTES - 16

/** A set of 1..7 distinct recipients from the pool and the index of the one who reads. */
const recipientsArb = fc
  .uniqueArray(fc.integer({ min: 0, max: pool.length - 1 }), { minLength: 1, maxLength: 7 })
  .chain((idx) => fc.record({ idx: fc.constant(idx), reader: fc.integer({ min: 0, max: idx.length - 1 }) }))

function nullOrPrivateBoxError(run: () => Uint8Array | Record<string, unknown> | null): Uint8Array | Record<string, unknown> | null {
  try {
    return run()
  } catch (err) {
    expect(err).toBeInstanceOf(PrivateBoxError)
    return null
  }
}

describe('multibox properties', () => {
  test('round trip for 1..7 recipients; outsiders get null', () => {
    fc.assert(
      fc.property(recipientsArb, fc.uint8Array({ maxLength: 2000 }), ({ idx, reader }, plaintext) => {
        const recps = idx.map((i) => pool[i]!)
        const ct = box(plaintext, recps.map((k) => k.publicKey))
        expect(ct.length).toBe(HEADER_BYTES + SLOT_BYTES * recps.length + plaintext.length + 16)
        expect(unbox(ct, recps[reader]!.secretKey)).toEqual(plaintext)
        expect(unbox(ct, outsider.secretKey)).toBeNull()
      }),
      { numRuns: 150 },
    )
  })

  test('a flipped byte gives null, unless it only damages another recipient’s slot', () => {
    fc.assert(
      fc.property(
        recipientsArb,
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        ({ idx, reader }, plaintext, at, mask) => {
          const recps = idx.map((i) => pool[i]!)
          const ct = box(plaintext, recps.map((k) => k.publicKey))
          const pos = at % ct.length
          ct[pos]! ^= mask
          const out = nullOrPrivateBoxError(() => unbox(ct, recps[reader]!.secretKey))
          const slot = pos >= HEADER_BYTES ? Math.floor((pos - HEADER_BYTES) / SLOT_BYTES) : -1
          const otherSlot = slot >= 0 && slot < recps.length && slot !== reader
          if (otherSlot) expect(out).toEqual(plaintext)
          else expect(out).toBeNull()
        },
      ),
      { numRuns: 300 },
    )
  })

  test('truncated or extended ciphertexts give null', () => {
    fc.assert(
      fc.property(
        recipientsArb,
        fc.uint8Array({ maxLength: 300 }),
        fc.oneof(fc.integer({ min: 1, max: 700 }).map((n) => -n), fc.uint8Array({ minLength: 1, maxLength: 64 })),
        ({ idx, reader }, plaintext, change) => {
          const recps = idx.map((i) => pool[i]!)
          const ct = box(plaintext, recps.map((k) => k.publicKey))
          const damaged =
            typeof change === 'number' ? ct.slice(0, Math.max(0, ct.length + change)) : new Uint8Array([...ct, ...change])
          expect(nullOrPrivateBoxError(() => unbox(damaged, recps[reader]!.secretKey))).toBeNull()
        },
      ),
      { numRuns: 200 },
    )
  })

  test('random bytes: null or PrivateBoxError, never another throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: MAX_CIPHERTEXT_BYTES + 200 }), (junk) => {
        expect(nullOrPrivateBoxError(() => unbox(junk, pool[0]!.secretKey))).toBeNull()
      }),
      { numRuns: 200 },
    )
  })

  test('largest plaintext for 7 recipients fits; one more byte is PRIVATE_BOX_TOO_LARGE', () => {
    const recps = pool.slice(0, 7).map((k) => k.publicKey)
    expect(box(new Uint8Array(MAX_PLAINTEXT), recps).length).toBe(MAX_CIPHERTEXT_BYTES)
    expect(() => box(new Uint8Array(MAX_PLAINTEXT + 1), recps)).toThrow(expect.objectContaining({ code: 'PRIVATE_BOX_TOO_LARGE' }))
  })
})

describe('content properties', () => {
  test('boxContent/unboxContent round trip JSON objects', () => {
    fc.assert(
      fc.property(recipientsArb, fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 8 }), ({ idx, reader }, body) => {
        const recps = idx.map((i) => pool[i]!.id)
        const content = { ...body, type: 'post', recps }
        let boxed: string
        try {
          boxed = boxContent(content, recps)
        } catch (err) {
          expect(err).toMatchObject({ name: 'PrivateBoxError', code: 'PRIVATE_BOX_TOO_LARGE' })
          return
        }
        expect(unboxContent(boxed, pool[idx[reader]!]!)).toEqual(JSON.parse(JSON.stringify(content)))
        expect(unboxContent(boxed, outsider)).toBeNull()
      }),
      { numRuns: 150 },
    )
  })

  test('unboxContent on arbitrary strings: null or PrivateBoxError', () => {
    const boxedLike = fc.base64String({ maxLength: 1200 }).map((s) => s + '.box')
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 400 }), boxedLike, fc.string().map((s) => s + '.box')), (s) => {
        expect(nullOrPrivateBoxError(() => unboxContent(s, pool[0]!))).toBeNull()
      }),
      { numRuns: 300 },
    )
  })
})

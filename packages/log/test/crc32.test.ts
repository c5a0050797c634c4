import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { HAS_NATIVE_CRC32, crc32, crc32Js, crc32U32 } from '../src/crc32.js'

const ascii = (s: string) => new TextEncoder().encode(s)

describe('crc32', () => {
  test('standard check values (CRC-32/ISO-HDLC)', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926)
    expect(crc32Js(ascii('123456789'))).toBe(0xcbf43926)
    expect(crc32Js(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339)
    expect(crc32(new Uint8Array(0))).toBe(0)
  })

  test('an empty input returns the seed, whatever its backing buffer (Node 20 zlib.crc32 quirk)', () => {
    expect(crc32(new Uint8Array(0), 1234)).toBe(1234)
    expect(crc32(new TextEncoder().encode(''), 0x5353424c)).toBe(0x5353424c)
    expect(crc32Js(new Uint8Array(0), 1234)).toBe(1234)
  })

  test('the table version matches the native one and chains like it', () => {
    if (!HAS_NATIVE_CRC32) return
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 40 }), fc.nat(), (a, b, seed) => {
        const s = seed >>> 0
        expect(crc32Js(a, s)).toBe(crc32(a, s))
        const joined = new Uint8Array([...a, ...b])
        expect(crc32Js(b, crc32Js(a, s))).toBe(crc32(joined, s))
        expect(crc32Js(joined, s, a.length)).toBe(crc32(b, s))
      }),
      { numRuns: 500 },
    )
  })

  test('crc32U32 equals the crc of the word as 4 little-endian bytes', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), (prev, word) => {
        const bytes = new Uint8Array(4)
        new DataView(bytes.buffer).setUint32(0, word, true)
        expect(crc32U32(prev, word)).toBe(crc32Js(bytes, prev))
      }),
      { numRuns: 500 },
    )
  })
})

import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  blobIdFromHash,
  fromBase64,
  isCanonicalBase64,
  isLink,
  KeysError,
  msgIdFromHash,
  parseLink,
  publicKeyToFeedId,
  toBase64,
} from '../src/index.js'

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
// The 43rd symbol of 32 bytes carries 4 data bits; its 2 low bits must be zero.
const NON_CANONICAL_LAST = B64_ALPHABET.split('').filter((_c, i) => i % 4 !== 0)
const b64Char = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_.?@%&'.split(''))
const linkish = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc
    .tuple(fc.constantFrom('@', '%', '&', ''), fc.string({ unit: b64Char, minLength: 40, maxLength: 48 }), fc.constantFrom('.ed25519', '.sha256', '.sha256?unbox=x', '', '.box'))
    .map(([a, b, c]) => a + b + c),
)

describe('link parsing properties', () => {
  test('random strings never throw anything but KeysError, and parse iff isLink', () => {
    fc.assert(
      fc.property(linkish, (s) => {
        let parsed = false
        try {
          parseLink(s)
          parsed = true
        } catch (err) {
          expect(err).toBeInstanceOf(KeysError)
        }
        expect(parsed).toBe(isLink(s))
      }),
      { numRuns: 5000 },
    )
  })

  test('ids built from 32 bytes parse back to the same bytes', () => {
    fc.assert(
      fc.property(bytes32, fc.constantFrom('@', '%', '&'), fc.option(fc.base64String({ minLength: 4, maxLength: 60 }), { nil: undefined }), (b, sigil, key) => {
        const id = sigil === '@' ? publicKeyToFeedId(b) : sigil === '%' ? msgIdFromHash(b) : blobIdFromHash(b)
        const link = key !== undefined && sigil !== '@' ? `${id}?unbox=${key}` : id
        const parsed = parseLink(link)
        expect(parsed.sigil).toBe(sigil)
        expect(parsed.bytes).toEqual(b)
        expect(parsed.query).toBe(link === id ? undefined : `unbox=${key}`)
        expect(isLink(link)).toBe(true)
      }),
      { numRuns: 2000 },
    )
  })

  test('flipping any base64 symbol to a non-canonical last symbol breaks the link', () => {
    fc.assert(
      fc.property(bytes32, fc.constantFrom(...NON_CANONICAL_LAST), (b, last) => {
        const b64 = toBase64(b)
        const bad = `@${b64.slice(0, 42)}${last}=.ed25519`
        expect(isLink(bad)).toBe(false)
      }),
    )
  })

  test('toBase64/fromBase64 round trip and canonicality', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        const s = toBase64(b)
        expect(fromBase64(s)).toEqual(b)
        expect(isCanonicalBase64(s, b.length)).toBe(true)
      }),
    )
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        try {
          expect(toBase64(fromBase64(s))).toBe(s)
        } catch (err) {
          expect(err).toBeInstanceOf(KeysError)
        }
      }),
    )
  })
})

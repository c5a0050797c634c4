import { describe, expect, test } from 'vitest'
import {
  ed25519PublicKeyToCurve25519,
  ed25519SecretKeyToCurve25519,
  fromBase64,
  generateKeys,
  KeysError,
  keysFromJSON,
  keysToJSON,
  sha256,
  sign,
  toBase64,
  verify,
} from '../src/index.js'
import { type KeyVector, readVectors } from './vectors.js'

const { keys: keyVectors } = readVectors<{ keys: KeyVector[] }>('keys.json')
const utf8 = (s: string) => new TextEncoder().encode(s)

describe.each(keyVectors)('key vector $id', (v) => {
  const keys = generateKeys(Buffer.from(v.seedHex, 'hex'))

  test('generateKeys(seed) gives the ssb-keys key pair', () => {
    expect(keysToJSON(keys)).toEqual({ curve: v.curve, public: v.public, private: v.private, id: v.id })
    expect(toBase64(keys.publicKey)).toBe(v.public.replace('.ed25519', ''))
    expect(toBase64(keys.secretKey)).toBe(v.private.replace('.ed25519', ''))
  })

  test('signatures match ssb-keys', () => {
    for (const s of v.signatures) {
      const sig = sign(keys.secretKey, utf8(s.dataUtf8))
      expect(`${toBase64(sig)}.sig.ed25519`).toBe(s.signature)
      expect(verify(keys.publicKey, sig, utf8(s.dataUtf8))).toBe(true)
      expect(verify(keys.publicKey, sig, utf8(`${s.dataUtf8}!`))).toBe(false)
    }
  })

  test('curve25519 conversion matches libsodium', () => {
    expect(toBase64(ed25519PublicKeyToCurve25519(keys.publicKey))).toBe(v.curvePublic)
    expect(toBase64(ed25519SecretKeyToCurve25519(keys.secretKey))).toBe(v.curveSecret)
  })

  test('keysFromJSON round trips, also legacy shapes', () => {
    const json = keysToJSON(keys)
    expect(keysToJSON(keysFromJSON(json))).toEqual(json)
    expect(keysFromJSON({ public: v.public, private: v.private }).id).toBe(v.id)
    expect(keysFromJSON({ ...json, id: v.public }).id).toBe(v.id)
    expect(keysFromJSON({ private: v.private.replace('.ed25519', '') }).id).toBe(v.id)
  })
})

describe('generateKeys', () => {
  test('random keys differ and sign/verify', () => {
    const a = generateKeys()
    const b = generateKeys()
    expect(a.id).not.toBe(b.id)
    const data = utf8('hello')
    const sig = sign(a.secretKey, data)
    expect(sig).toBeInstanceOf(Uint8Array)
    expect(sig.length).toBe(64)
    expect(verify(a.publicKey, sig, data)).toBe(true)
    expect(verify(b.publicKey, sig, data)).toBe(false)
  })

  test('does not keep a reference to the seed', () => {
    const seed = new Uint8Array(32).fill(7)
    const k = generateKeys(seed)
    seed.fill(0)
    expect(generateKeys(new Uint8Array(32).fill(7)).id).toBe(k.id)
    expect(seed.every((x) => x === 0)).toBe(true)
  })
})

describe('input validation', () => {
  const keys = generateKeys()
  const cases: [string, () => unknown][] = [
    ['short seed', () => generateKeys(new Uint8Array(31))],
    ['string seed', () => generateKeys('x'.repeat(32) as unknown as Uint8Array)],
    ['sign with public key', () => sign(keys.publicKey, new Uint8Array(1))],
    ['sign string data', () => sign(keys.secretKey, 'hi' as unknown as Uint8Array)],
    ['verify short sig', () => verify(keys.publicKey, new Uint8Array(63), new Uint8Array(1))],
    ['verify long pk', () => verify(keys.secretKey, new Uint8Array(64), new Uint8Array(1))],
    ['sha256 of string', () => sha256('x' as unknown as Uint8Array)],
    ['curve of 31 bytes', () => ed25519PublicKeyToCurve25519(new Uint8Array(31))],
    ['curve sk of pk', () => ed25519SecretKeyToCurve25519(keys.publicKey)],
    ['fromBase64 non-canonical', () => fromBase64('AB==')],
    ['fromBase64 unpadded', () => fromBase64('AA')],
    ['fromBase64 url-safe', () => fromBase64('-_==')],
    ['keysFromJSON null', () => keysFromJSON(null)],
    ['keysFromJSON wrong curve', () => keysFromJSON({ ...keysToJSON(keys), curve: 'k256' })],
    ['keysFromJSON mismatched public', () => keysFromJSON({ ...keysToJSON(keys), public: generateKeys().public })],
    ['keysFromJSON mismatched id', () => keysFromJSON({ ...keysToJSON(keys), id: generateKeys().id })],
    ['keysFromJSON corrupt private', () => keysFromJSON({ private: `${toBase64(new Uint8Array(64))}.ed25519` })],
  ]
  test.each(cases)('%s throws KeysError', (_name, fn) => {
    expect(fn).toThrow(KeysError)
    try {
      fn()
    } catch (err) {
      expect((err as KeysError).name).toBe('KeysError')
      expect((err as KeysError).code).toMatch(/^KEYS_/)
    }
  })

  test('error names what was expected', () => {
    expect(() => sign(keys.publicKey, new Uint8Array(1))).toThrow(/expected Uint8Array\(64\), got Uint8Array\(32\)/)
  })

  test('small-order public key is refused for curve conversion', () => {
    expect(() => ed25519PublicKeyToCurve25519(new Uint8Array(32))).toThrow(KeysError)
  })
})

describe('base64 and sha256', () => {
  test('fromBase64 decodes canonical base64 and returns a copy', () => {
    expect(Array.from(fromBase64('AQID'))).toEqual([1, 2, 3])
    expect(fromBase64('AQ==').buffer.byteLength).toBe(1)
    expect(fromBase64('').length).toBe(0)
  })

  test('sha256 of "abc"', () => {
    expect(Buffer.from(sha256(utf8('abc'))).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
  })
})

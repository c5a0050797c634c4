import { generateKeys } from '@ssb/keys'
import { describe, expect, test } from 'vitest'
import {
  box,
  boxContent,
  decodeBoxString,
  MAX_CIPHERTEXT_BYTES,
  MIN_CIPHERTEXT_BYTES,
  PrivateBoxError,
  unbox,
  unboxContent,
  unboxContentWithKey,
  unboxKey,
  unboxWithKey,
} from '@ssb/private-box'

const keys = Array.from({ length: 9 }, () => generateKeys())
const ids = keys.map((k) => k.id)
const pks = keys.map((k) => k.publicKey)
const msg = new TextEncoder().encode('hi')

function codeOf(run: () => unknown): string {
  try {
    run()
  } catch (err) {
    expect(err).toBeInstanceOf(PrivateBoxError)
    expect((err as PrivateBoxError).name).toBe('PrivateBoxError')
    return (err as PrivateBoxError).code
  }
  throw new Error('expected a PrivateBoxError')
}

describe('recipients', () => {
  test('0 recipients', () => {
    expect(codeOf(() => box(msg, []))).toBe('PRIVATE_BOX_NO_RECIPIENTS')
    expect(codeOf(() => boxContent({ type: 'post' }, []))).toBe('PRIVATE_BOX_NO_RECIPIENTS')
  })

  test('8 recipients with the default max of 7', () => {
    expect(codeOf(() => box(msg, pks.slice(0, 8)))).toBe('PRIVATE_BOX_TOO_MANY_RECIPIENTS')
    expect(codeOf(() => boxContent({ type: 'post' }, ids.slice(0, 8)))).toBe('PRIVATE_BOX_TOO_MANY_RECIPIENTS')
  })

  test('maxRecipients raises the limit up to 255 and must be 1..255', () => {
    const ct = box(msg, pks.slice(0, 9), { maxRecipients: 9 })
    expect(unbox(ct, keys[8]!.secretKey, { maxRecipients: 9 })).toEqual(msg)
    expect(codeOf(() => box(msg, pks, { maxRecipients: 0 }))).toBe('PRIVATE_BOX_INVALID_ARGUMENT')
    expect(codeOf(() => box(msg, pks, { maxRecipients: 256 }))).toBe('PRIVATE_BOX_INVALID_ARGUMENT')
    expect(codeOf(() => unbox(ct, keys[0]!.secretKey, { maxRecipients: 1.5 }))).toBe('PRIVATE_BOX_INVALID_ARGUMENT')
  })

  test('private-box 0.3.1 tries max + 1 slots: the 8th recipient of a 9-recipient box can read with max 7', () => {
    const ct = box(msg, pks.slice(0, 9), { maxRecipients: 9 })
    expect(unbox(ct, keys[7]!.secretKey)).toEqual(msg) // slot index 7 = max
    expect(unbox(ct, keys[8]!.secretKey)).toBeNull() // slot index 8 is never tried
  })

  test('bad feed ids and public keys', () => {
    expect(codeOf(() => boxContent({ type: 'post' }, ['@nope.ed25519']))).toBe('PRIVATE_BOX_INVALID_RECIPIENT')
    expect(codeOf(() => boxContent({ type: 'post' }, [ids[0]!.replace('.ed25519', '.sha256')]))).toBe(
      'PRIVATE_BOX_INVALID_RECIPIENT',
    )
    expect(codeOf(() => box(msg, [new Uint8Array(31)]))).toBe('PRIVATE_BOX_INVALID_RECIPIENT')
    // Not a point on the curve: libsodium refuses the conversion.
    expect(codeOf(() => box(msg, [new Uint8Array(32).fill(0xff)]))).toBe('PRIVATE_BOX_INVALID_RECIPIENT')
  })
})

describe('arguments', () => {
  test('content must be a JSON object', () => {
    for (const bad of [null, [], 'str', 5]) {
      expect(codeOf(() => boxContent(bad as object, [ids[0]!]))).toBe('PRIVATE_BOX_INVALID_CONTENT')
    }
    expect(codeOf(() => boxContent({ n: 1n }, [ids[0]!]))).toBe('PRIVATE_BOX_INVALID_CONTENT')
  })

  test('keys and byte inputs are type- and length-checked', () => {
    const ct = box(msg, [pks[0]!])
    expect(codeOf(() => unbox(ct, new Uint8Array(32)))).toBe('PRIVATE_BOX_INVALID_ARGUMENT')
    expect(codeOf(() => unbox('x' as unknown as Uint8Array, keys[0]!.secretKey))).toBe('PRIVATE_BOX_INVALID_ARGUMENT')
    expect(codeOf(() => unboxWithKey(ct, new Uint8Array(32)))).toBe('PRIVATE_BOX_INVALID_ARGUMENT')
    expect(codeOf(() => box(msg, [pks[0]!], { nonce: new Uint8Array(23) }))).toBe('PRIVATE_BOX_INVALID_ARGUMENT')
    expect(codeOf(() => unboxContent(5 as unknown as string, keys[0]!))).toBe('PRIVATE_BOX_INVALID_ARGUMENT')
    expect(codeOf(() => unboxContent('x.box', {} as { secretKey: Uint8Array }))).toBe('PRIVATE_BOX_INVALID_ARGUMENT')
  })
})

describe('ciphertext size', () => {
  test('shorter than one slot is simply not for us', () => {
    const ct = box(new Uint8Array(0), [pks[0]!])
    expect(ct.length).toBe(MIN_CIPHERTEXT_BYTES)
    expect(unbox(ct, keys[0]!.secretKey)).toEqual(new Uint8Array(0))
    expect(unbox(ct.subarray(0, MIN_CIPHERTEXT_BYTES - 1), keys[0]!.secretKey)).toBeNull()
    expect(unbox(new Uint8Array(0), keys[0]!.secretKey)).toBeNull()
  })

  test('longer than MAX_CIPHERTEXT_BYTES is PRIVATE_BOX_TOO_LARGE before any crypto', () => {
    const big = new Uint8Array(MAX_CIPHERTEXT_BYTES + 1)
    expect(codeOf(() => unbox(big, keys[0]!.secretKey))).toBe('PRIVATE_BOX_TOO_LARGE')
    expect(codeOf(() => unboxKey(big, keys[0]!.secretKey))).toBe('PRIVATE_BOX_TOO_LARGE')
    expect(codeOf(() => unboxContent('A'.repeat(8196) + '.box', keys[0]!))).toBe('PRIVATE_BOX_TOO_LARGE')
    expect(unbox(big, keys[0]!.secretKey, { maxCiphertextBytes: big.length })).toBeNull()
  })

  test('a key whose slot count points past the end opens nothing', () => {
    const ct = box(msg, [pks[0]!])
    const key = unboxKey(ct, keys[0]!.secretKey)!
    key[0] = 200
    expect(unboxWithKey(ct, key)).toBeNull()
  })
})

describe('box strings', () => {
  test('strings that are not <canonical base64>.box are not for us', () => {
    expect(decodeBoxString('hello')).toBeNull()
    expect(decodeBoxString('AAAA.box2')).toBeNull()
    expect(decodeBoxString('AAB=.box')).toBeNull() // non-canonical base64
    expect(unboxContent('not a box', keys[0]!)).toBeNull()
    expect(unboxContentWithKey('@@@.box', new Uint8Array(33))).toBeNull()
  })

  test('a box holding JSON that is not an object gives null', () => {
    const ct = box(new TextEncoder().encode('[1,2]'), [pks[0]!])
    const s = Buffer.from(ct).toString('base64') + '.box'
    expect(unbox(ct, keys[0]!.secretKey)).not.toBeNull()
    expect(unboxContent(s, keys[0]!)).toBeNull()
  })
})

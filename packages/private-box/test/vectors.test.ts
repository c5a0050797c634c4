import { fromBase64, generateKeys, toBase64 } from '@ssb/keys'
import { describe, expect, test } from 'vitest'
import { box, boxContent, createUnboxer, unbox, unboxContent, unboxContentKey, unboxContentWithKey, unboxKey } from '@ssb/private-box'
import { hex, type PrivateBoxCase, readVectors } from './helpers.js'

const { cases } = readVectors<{ cases: PrivateBoxCase[] }>('private-box.json')

describe.each(cases)('$description', (c) => {
  const recipients = c.recipients.map((r) => generateKeys(hex(r.seedHex)))
  const outsiders = c.nonRecipients.map((r) => generateKeys(hex(r.seedHex)))
  const fixed = { nonce: hex(c.nonceHex), key: hex(c.keyHex), ephemeral: hex(c.ephemeralSecretHex) }
  const ciphertext = fromBase64(c.box.slice(0, -4))
  const plaintext = new TextEncoder().encode(c.plaintext)

  test('seed identities match the vector', () => {
    expect(recipients.map((k) => k.id)).toEqual(c.recipients.map((r) => r.id))
    expect(plaintext.length).toBe(c.plaintextBytes)
  })

  test('box is byte-exact', () => {
    const out = box(plaintext, recipients.map((k) => k.publicKey), fixed)
    expect(out.length).toBe(c.boxBytes)
    expect(toBase64(out.subarray(24, 56))).toBe(c.ephemeralPublic)
    expect(toBase64(out) + '.box').toBe(c.box)
  })

  test('boxContent is byte-exact', () => {
    const content = JSON.parse(c.plaintext) as { recps: string[] }
    expect(boxContent(content, content.recps, fixed)).toBe(c.box)
  })

  test('every recipient opens it, with the same unbox key', () => {
    for (const k of recipients) {
      expect(new TextDecoder().decode(unbox(ciphertext, k.secretKey)!)).toBe(c.plaintext)
      expect(toBase64(unboxKey(ciphertext, k.secretKey)!)).toBe(c.unboxKey)
      expect(unboxContent(c.box, k)).toEqual(JSON.parse(c.plaintext))
      expect(toBase64(unboxContentKey(c.box, k)!)).toBe(c.unboxKey)
    }
    expect(unboxContentWithKey(c.box, fromBase64(c.unboxKey))).toEqual(JSON.parse(c.plaintext))
  })

  test('createUnboxer agrees with the one-shot functions', () => {
    for (const k of [...recipients, ...outsiders]) {
      const u = createUnboxer(k.secretKey)
      const mine = recipients.includes(k)
      expect(u.unboxContent(c.box)).toEqual(mine ? JSON.parse(c.plaintext) : null)
      expect(u.unbox(ciphertext)).toEqual(mine ? plaintext : null)
      const key = u.unboxContentKey(c.box)
      expect(key === null ? null : toBase64(key)).toBe(mine ? c.unboxKey : null)
      u.destroy()
      expect(() => u.unbox(ciphertext)).toThrow(expect.objectContaining({ code: 'PRIVATE_BOX_INVALID_ARGUMENT' }))
    }
  })

  test('non-recipients get null', () => {
    for (const k of outsiders) {
      expect(unbox(ciphertext, k.secretKey)).toBeNull()
      expect(unboxKey(ciphertext, k.secretKey)).toBeNull()
      expect(unboxContent(c.box, k)).toBeNull()
    }
  })
})

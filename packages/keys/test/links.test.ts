import { describe, expect, test } from 'vitest'
import {
  feedIdToPublicKey,
  generateKeys,
  isBlobId,
  isBlobLink,
  isFeedId,
  isLink,
  isMsgId,
  isMsgLink,
  KeysError,
  parseLink,
  publicKeyToFeedId,
  toBase64,
} from '../src/index.js'
import { type LinkVectors, readVectors } from './vectors.js'

const vectors = readVectors<LinkVectors>('links.json')

describe('valid links', () => {
  test.each(vectors.valid)('$link', (v) => {
    const parsed = parseLink(v.link)
    expect(parsed.sigil).toBe(v.sigil)
    expect(parsed.suffix).toBe(v.suffix)
    expect(toBase64(parsed.bytes)).toBe(v.bytesB64)
    expect(parsed.query).toBe(v.query)
    expect(isLink(v.link)).toBe(true)
    const bare = v.link.split('?')[0]
    expect(isFeedId(bare)).toBe(v.sigil === '@')
    expect(isMsgId(bare)).toBe(v.sigil === '%')
    expect(isBlobId(bare)).toBe(v.sigil === '&')
    expect(isMsgLink(v.link)).toBe(v.sigil === '%')
    expect(isBlobLink(v.link)).toBe(v.sigil === '&')
    if (v.query !== undefined) {
      expect(isMsgId(v.link)).toBe(false)
      expect(isBlobId(v.link)).toBe(false)
    }
  })
})

describe('invalid links', () => {
  test.each(vectors.invalid)('$why: $link', (v) => {
    expect(isLink(v.link)).toBe(false)
    expect(isFeedId(v.link)).toBe(false)
    expect(isMsgId(v.link)).toBe(false)
    expect(isBlobId(v.link)).toBe(false)
    expect(() => parseLink(v.link)).toThrow(KeysError)
  })
})

describe('feed ids', () => {
  test('publicKeyToFeedId and feedIdToPublicKey are inverse', () => {
    const k = generateKeys()
    expect(publicKeyToFeedId(k.publicKey)).toBe(k.id)
    expect(feedIdToPublicKey(k.id)).toEqual(k.publicKey)
  })

  test('non-strings are not links', () => {
    for (const x of [null, undefined, 1, {}, [], Symbol('x')]) {
      expect(isLink(x)).toBe(false)
      expect(isFeedId(x)).toBe(false)
    }
    expect(() => parseLink(5 as unknown as string)).toThrow(KeysError)
    expect(() => feedIdToPublicKey('%hso9uG1/7c+UycObLGQ7UdUx8iF7iRdsBz0g2+pWPu4=.sha256')).toThrow(KeysError)
    expect(() => publicKeyToFeedId(new Uint8Array(33))).toThrow(KeysError)
  })
})

import { generateKeys, type Keys, toBase64 } from '@ssb/keys'
import { describe, expect, test } from 'vitest'
import {
  createMessage,
  type FeedState,
  MAX_MESSAGE_LENGTH,
  type MsgValue,
  serializeMessage,
  validateMessage,
  ValidationError,
  type ValidationErrorCode,
} from '../src/index.js'
import { jsIsValid, ssbKeys, ssbValidate } from './helpers.js'

const keys = generateKeys(new Uint8Array(32).fill(9))
const jsKeys = ssbKeys.generate('ed25519', Buffer.alloc(32, 9))
const first = createMessage(keys, null, { type: 'post', text: 'one' }, 1000)
const state1: FeedState = { id: first.key, sequence: 1, timestamp: 1000 }

/** Signs an arbitrary object with ssb-keys, so shape quirks are tested with good signatures. */
function jsSigned(obj: Record<string, unknown>, hmacKey: string | null = null): Record<string, unknown> {
  return ssbKeys.signObj(jsKeys, hmacKey, obj)
}

function unsigned(over: Record<string, unknown> = {}, order?: string[]): Record<string, unknown> {
  const base: Record<string, unknown> = {
    previous: first.key,
    sequence: 2,
    author: keys.id,
    timestamp: 2000,
    hash: 'sha256',
    content: { type: 'post' },
    ...over,
  }
  if (!order) return base
  const out: Record<string, unknown> = {}
  for (const k of order) out[k] = base[k]
  return out
}

function codeOf(state: FeedState | null, msg: unknown, hmacKey: unknown = null): ValidationErrorCode | 'OK' {
  try {
    validateMessage(state, msg, { hmacKey: hmacKey as string })
    return 'OK'
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError)
    expect((err as ValidationError).name).toBe('ValidationError')
    return (err as ValidationError).code
  }
}

describe('quirks ssb-validate 4.1.4 has, and we keep', () => {
  const cases: [string, FeedState | null, Record<string, unknown>, ValidationErrorCode | 'OK'][] = [
    ['author before sequence', state1, jsSigned(unsigned({}, ['previous', 'author', 'sequence', 'timestamp', 'hash', 'content'])), 'OK'],
    ['non-number timestamp after the first message', state1, jsSigned(unsigned({ timestamp: 'soon' })), 'OK'],
    ['fractional timestamp', state1, jsSigned(unsigned({ timestamp: 1700000000000.001 })), 'OK'],
    ['previous as one-element array (loose !=)', state1, jsSigned(unsigned({ previous: [first.key] })), 'OK'],
    ['box content with a .box2 suffix', state1, jsSigned(unsigned({ content: `${toBase64(new Uint8Array(40))}.box2` })), 'OK'],
    ['empty box', state1, jsSigned(unsigned({ content: '.box' })), 'OK'],
    ['sequence as string (loose !=, then not an integer)', state1, jsSigned(unsigned({ sequence: '2' })), 'INVALID_SHAPE'],
    ['gap', state1, jsSigned(unsigned({ sequence: 3 })), 'INVALID_SEQUENCE'],
    ['fork', state1, jsSigned(unsigned({ previous: `%${toBase64(new Uint8Array(32))}.sha256` })), 'FORK'],
    ['first message with previous', null, jsSigned(unsigned({ sequence: 1 })), 'INVALID_PREVIOUS'],
    ['first message with sequence 2', null, jsSigned(unsigned({ previous: null })), 'INVALID_SEQUENCE'],
    ['first message with string timestamp', null, jsSigned(unsigned({ previous: null, sequence: 1, timestamp: '1' })), 'INVALID_TIMESTAMP'],
    ['hash sha512', state1, jsSigned(unsigned({ hash: 'sha512' })), 'INVALID_HASH'],
    ['array content', state1, jsSigned(unsigned({ content: [{ type: 'post' }] })), 'INVALID_CONTENT'],
    ['type of 2', state1, jsSigned(unsigned({ content: { type: 'ab' } })), 'INVALID_CONTENT'],
    ['type of 53', state1, jsSigned(unsigned({ content: { type: 'x'.repeat(53) } })), 'INVALID_CONTENT'],
    ['type of 52', state1, jsSigned(unsigned({ content: { type: 'x'.repeat(52) } })), 'OK'],
    ['box with newline after .box', state1, jsSigned(unsigned({ content: 'AAAA.box\nx' })), 'INVALID_CONTENT'],
    ['key order', state1, jsSigned(unsigned({}, ['sequence', 'previous', 'author', 'timestamp', 'hash', 'content'])), 'INVALID_SHAPE'],
    ['extra key', state1, jsSigned(unsigned({ extra: 1 })), 'INVALID_SHAPE'],
    ['legacy .sha256 author', state1, { ...jsSigned(unsigned({ author: keys.id.replace('.ed25519', '.sha256') })), signature: 'x' }, 'INVALID_SIGNATURE'],
  ]

  test.each(cases)('%s', (_name, state, msg, code) => {
    expect(codeOf(state, msg)).toBe(code)
    expect(jsIsValid(state, null, msg)).toBe(code === 'OK')
  })

  test('fatal flags follow ssb-validate', () => {
    const fatal = (state: FeedState | null, msg: unknown) => {
      try {
        validateMessage(state, msg)
      } catch (err) {
        return (err as ValidationError).fatal
      }
      throw new Error('valid')
    }
    expect(fatal(state1, jsSigned(unsigned({ sequence: 3 })))).toBe(false)
    expect(fatal(state1, jsSigned(unsigned({ previous: null })))).toBe(true)
    const bad = { ...jsSigned(unsigned()), content: { type: 'changed' } }
    expect(codeOf(state1, bad)).toBe('INVALID_SIGNATURE')
    expect(fatal(state1, bad)).toBe(true)
  })
})

describe('size limit: 8192 UTF-16 code units of the signed text', () => {
  function sized(text: string): MsgValue {
    return jsSigned(unsigned({ content: { type: 'post', text } })) as unknown as MsgValue
  }
  const overhead = serializeMessage(sized('')).length

  test.each([
    ['a', MAX_MESSAGE_LENGTH - overhead, 'OK'],
    ['a', MAX_MESSAGE_LENGTH - overhead + 1, 'TOO_LARGE'],
    ['€', MAX_MESSAGE_LENGTH - overhead, 'OK'],
    ['€', MAX_MESSAGE_LENGTH - overhead + 1, 'TOO_LARGE'],
  ] as const)('%s × %i → %s', (ch, n, code) => {
    const msg = sized(ch.repeat(n))
    expect(serializeMessage(msg).length).toBe(overhead + n)
    expect(codeOf(state1, msg)).toBe(code)
    expect(jsIsValid(state1, null, msg)).toBe(code === 'OK')
  })
})

describe('HMAC sign-cap', () => {
  const hmacKey = toBase64(new Uint8Array(32).fill(3))
  const msg = createMessage(keys, state1, { type: 'post' }, 2000, { hmacKey }).value

  test('verifies only with the same key; bytes and string keys are equivalent', () => {
    expect(codeOf(state1, msg, hmacKey)).toBe('OK')
    expect(codeOf(state1, msg, new Uint8Array(32).fill(3))).toBe('OK')
    expect(codeOf(state1, msg, null)).toBe('INVALID_SIGNATURE')
    expect(codeOf(state1, msg, toBase64(new Uint8Array(32).fill(4)))).toBe('INVALID_SIGNATURE')
    expect(jsIsValid(state1, hmacKey, msg)).toBe(true)
  })

  test.each([
    ['non-canonical', `${hmacKey.slice(0, 42)}x=`],
    ['short', toBase64(new Uint8Array(31))],
    ['31 bytes', new Uint8Array(31)],
    ['boolean', true],
  ])('%s key is INVALID_HMAC_KEY (fatal)', (_name, key) => {
    expect(codeOf(state1, msg, key)).toBe('INVALID_HMAC_KEY')
    expect(() => createMessage(keys, null, { type: 'post' }, 1, { hmacKey: key as string })).toThrow(ValidationError)
  })
})

describe('createMessage', () => {
  test('matches ssb-validate create for a chain of messages', () => {
    let ours: FeedState | null = null
    let js: Parameters<typeof ssbValidate.create>[0] = null
    for (let i = 0; i < 5; i++) {
      const content = { type: 'test', i, text: 'ünïcödé 😀 \ud800' }
      const a: { key: string; value: MsgValue } = createMessage(keys, ours, content, 1000 + i)
      const b = ssbValidate.create(js, jsKeys, null, content, 1000 + i)
      expect(serializeMessage(a.value)).toBe(JSON.stringify(b, null, 2))
      expect(a.key).toBe(ssbValidate.id(b))
      ours = validateMessage(ours, a.value).state
      js = { id: a.key, sequence: i + 1, timestamp: 1000 + i, queue: [] }
    }
  })

  test.each([
    ['null content', null, 1, 'INVALID_CONTENT'],
    ['plain string content', 'hello', 1, 'INVALID_CONTENT'],
    ['short type', { type: 'ab' }, 1, 'INVALID_CONTENT'],
    ['NaN timestamp', { type: 'post' }, Number.NaN, 'INVALID_TIMESTAMP'],
    ['too large', { type: 'post', text: 'x'.repeat(8192) }, 1, 'TOO_LARGE'],
  ])('%s → %s', (_name, content, ts, code) => {
    try {
      createMessage(keys, null, content as object, ts)
      throw new Error('created')
    } catch (err) {
      expect((err as ValidationError).code).toBe(code)
    }
  })

  test('refuses keys whose id is not their own, and malformed keys', () => {
    const other = generateKeys()
    expect(() => createMessage({ ...keys, id: other.id }, null, { type: 'post' }, 1)).toThrow(ValidationError)
    expect(() => createMessage({ ...keys, secretKey: new Uint8Array(3) }, null, { type: 'post' }, 1)).toThrow(/Uint8Array\(64\)/)
  })

  test('returns a value that is its own JSON parse (no undefined, no -0, integer keys first)', () => {
    const { value } = createMessage(keys as Keys, null, { type: 'post', b: undefined, z: -0, 10: 'ten', 2: 'two' }, -0)
    expect(value).toEqual(JSON.parse(serializeMessage(value)))
    expect(Object.keys(value.content as object)).toEqual(['2', '10', 'type', 'z'])
    expect(Object.is(value.timestamp, 0)).toBe(true)
  })
})

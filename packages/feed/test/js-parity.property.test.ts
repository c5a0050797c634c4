import { generateKeys } from '@ssb/keys'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createMessage, type FeedState, messageId, serializeMessage, validateMessage } from '../src/index.js'
import { content, hmacKey, msgId, seed, timestamp } from './arbitraries.js'
import { jsIsValid, ssbKeys, ssbValidate } from './helpers.js'

const stateArb = fc.option(
  fc.record({ id: msgId, sequence: fc.integer({ min: 1, max: 2 ** 31 }), timestamp: fc.integer({ min: 0, max: 2 ** 42 }) }),
  { nil: null, freq: 3 },
)

function ourCreate(...args: Parameters<typeof createMessage>) {
  try {
    return createMessage(...args)
  } catch {
    return null
  }
}

function jsCreate(state: FeedState | null, seedBytes: Uint8Array, hmac: string | null, c: unknown, ts: number) {
  const keys = ssbKeys.generate('ed25519', Buffer.from(seedBytes))
  try {
    const msg = ssbValidate.create(state && { ...state, queue: [] }, keys, hmac, c, ts)
    return jsIsValid(state, hmac, msg) ? msg : null
  } catch {
    return null
  }
}

describe('createMessage against ssb-validate 4.1.4 create + checkInvalid', () => {
  test('same verdict, same bytes, same id', () => {
    let created = 0
    fc.assert(
      fc.property(seed, stateArb, content, timestamp, hmacKey, (s, state, c, ts, hmac) => {
        const js = jsCreate(state, s, hmac, c, ts)
        const ours = ourCreate(generateKeys(s), state, c as object, ts, { hmacKey: hmac })
        expect(ours !== null).toBe(js !== null)
        if (js === null || ours === null) return
        created++
        const json = JSON.stringify(js, null, 2)
        expect(serializeMessage(ours.value)).toBe(json)
        expect(ours.key).toBe(`%${ssbKeys.hash(json)}`)
        expect(messageId(ours.value)).toBe(ours.key)
        expect(validateMessage(state, JSON.parse(json), { hmacKey: hmac }).key).toBe(ours.key)
      }),
      { numRuns: 3000 },
    )
    expect(created).toBeGreaterThan(1000)
  })
})

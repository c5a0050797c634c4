import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { type FeedState, validateMessage, ValidationError } from '../src/index.js'
import { boxString, content, hmacKey, jsonValue, msgId, seed, timestamp } from './arbitraries.js'
import { jsIsValid, ssbKeys, ssbValidate } from './helpers.js'

type Msg = Record<string, unknown>
const FIELDS = ['previous', 'sequence', 'author', 'timestamp', 'hash', 'content', 'signature']

const b64Of = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('base64'))
const fieldValue: Record<string, fc.Arbitrary<unknown>> = {
  previous: fc.oneof(msgId, fc.constantFrom(null, 1, '', '%abc.sha256'), jsonValue),
  sequence: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constantFrom('1', '2', [1], [2], 1.5, 2 ** 31, 2 ** 32 + 1, -0, true, null), jsonValue),
  author: fc.oneof(
    seed.map((s) => ssbKeys.generate('ed25519', Buffer.from(s)).id),
    b64Of(32).map((b) => `@${b}.sha256`),
    b64Of(32).map((b) => `@${b}Xed25519`),
    b64Of(32).map((b) => `@${b.slice(0, 42)}B=.ed25519`),
    fc.constantFrom(42, null, '@abc.ed25519'),
  ),
  timestamp: fc.oneof(timestamp, fc.constantFrom('1', null, [1], true), jsonValue),
  hash: fc.oneof(fc.constantFrom('sha256', 'SHA256', 'blake2b', null, ''), jsonValue),
  content: fc.oneof(content, boxString, jsonValue),
  signature: fc.oneof(
    fc.tuple(fc.constantFrom(63, 64, 65, 66), fc.constantFrom('.sig.ed25519', '.sig.sha256', '.sig.ed25519x', '.sigXed25519', '')).chain(([n, s]) => b64Of(n).map((b) => b + s)),
    fc.constantFrom(null, 1, ''),
  ),
}

const mutation = fc.oneof(
  fc.constantFrom(...FIELDS).chain((k) => fieldValue[k]!.map((v) => ({ kind: 'set' as const, k, v }))),
  fc.constantFrom(...FIELDS).map((k) => ({ kind: 'delete' as const, k })),
  fc.tuple(fc.constantFrom('extra', 'meta', '0', ...FIELDS), jsonValue).map(([k, v]) => ({ kind: 'add' as const, k, v })),
)
const reorder = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.constant({ kind: 'swapAuthorSequence' as const }),
  fc.tuple(fc.nat(7), fc.nat(7)).map(([a, b]) => ({ kind: 'swap' as const, a, b })),
)

function apply(msg: Msg, m: { kind: string; k?: string; v?: unknown }): Msg {
  const out: Msg = { ...msg }
  if (m.kind === 'set') out[m.k!] = m.v
  else if (m.kind === 'delete') delete out[m.k!]
  else if (m.kind === 'add') out[m.k!] = m.v
  return out
}

function reorderKeys(msg: Msg, r: { kind: string; a?: number; b?: number }): Msg {
  const keys = Object.keys(msg)
  if (r.kind === 'swapAuthorSequence') {
    const i = keys.indexOf('author')
    const j = keys.indexOf('sequence')
    if (i !== -1 && j !== -1) [keys[i], keys[j]] = [keys[j]!, keys[i]!]
  } else if (r.kind === 'swap' && r.a! < keys.length && r.b! < keys.length) {
    ;[keys[r.a!], keys[r.b!]] = [keys[r.b!]!, keys[r.a!]!]
  }
  const out: Msg = {}
  for (const k of keys) out[k] = msg[k]
  return out
}

const hmacVariant = (real: string | null) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(real) },
    { weight: 1, arbitrary: fc.constantFrom(null, '', 'abc', true, 0, 'Z0e2zyrmHeit5ydNjaw2bLlrHBwx9UcivTAAGquwQ+Z=', 'Z0e2zyrmHeit5ydNjaw2bLlrHBwx9UcivTAAGquwQ+Y') },
    { weight: 1, arbitrary: b64Of(32) },
    { weight: 1, arbitrary: fc.constantFrom(31, 32, 33).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b))) },
  )

function ours(state: FeedState | null, hmac: unknown, msg: unknown): { ok: boolean; key?: string } {
  try {
    return { ok: true, key: validateMessage(state, msg, { hmacKey: hmac as string }).key }
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError)
    return { ok: false }
  }
}

const caseArb = fc
  .record({
    s: seed,
    state: fc.option(fc.record({ id: msgId, sequence: fc.integer({ min: 1, max: 1000 }), timestamp: fc.nat() }), { nil: null }),
    c: content,
    ts: timestamp,
    hmac: hmacKey,
    mutations: fc.oneof(fc.constant([]), fc.array(mutation, { minLength: 1, maxLength: 2 })),
    resign: fc.boolean(),
    reorder,
    stateShift: fc.oneof({ weight: 6, arbitrary: fc.constant('same') }, fc.constantFrom('null', 'seq+1', 'seq-1', 'otherId')),
  })
  .chain((r) => hmacVariant(r.hmac).map((validateHmac) => ({ ...r, validateHmac })))

describe('validateMessage against ssb-validate 4.1.4 checkInvalid on mutated messages', () => {
  test('same verdict and id', () => {
    const verdicts = { valid: 0, invalid: 0, mutatedValid: 0 }
    fc.assert(
      fc.property(caseArb, (r) => {
        const keys = ssbKeys.generate('ed25519', Buffer.from(r.s))
        let base: Msg
        try {
          base = ssbValidate.create(r.state && { ...r.state, queue: [] }, keys, r.hmac, r.c, r.ts)
        } catch {
          return
        }
        let msg = JSON.parse(JSON.stringify(base)) as Msg
        for (const m of r.mutations) msg = apply(msg, m)
        if (r.resign) {
          const unsigned = { ...msg }
          delete unsigned.signature
          msg = ssbKeys.signObj(keys, r.hmac, unsigned)
        }
        msg = reorderKeys(msg, r.reorder)
        msg = JSON.parse(JSON.stringify(msg)) as Msg
        let state: FeedState | null = r.state
        if (r.stateShift === 'null') state = null
        else if (r.stateShift === 'otherId' && state) state = { ...state, id: `%${ssbKeys.hash(String(r.ts))}` as FeedState['id'] }
        else if (r.stateShift === 'seq+1' && state) state = { ...state, sequence: state.sequence + 1 }
        else if (r.stateShift === 'seq-1' && state) state = { ...state, sequence: state.sequence - 1 }

        const js = jsIsValid(state, r.validateHmac, JSON.parse(JSON.stringify(msg)))
        const o = ours(state, r.validateHmac, msg)
        expect(o.ok).toBe(js)
        if (o.ok) expect(o.key).toBe(ssbValidate.id(msg))
        verdicts[js ? 'valid' : 'invalid']++
        if (js && (r.mutations.length > 0 || r.reorder.kind !== 'none')) verdicts.mutatedValid++
      }),
      { numRuns: 4000 },
    )
    expect(verdicts.valid).toBeGreaterThan(400)
    expect(verdicts.invalid).toBeGreaterThan(400)
    expect(verdicts.mutatedValid).toBeGreaterThan(20)
  })

  test('non-objects and junk', () => {
    fc.assert(
      fc.property(jsonValue, fc.option(fc.record({ id: msgId, sequence: fc.nat(), timestamp: fc.nat() }), { nil: null }), (v, state) => {
        expect(ours(state, null, v).ok).toBe(jsIsValid(state, null, v))
      }),
      { numRuns: 1000 },
    )
  })
})

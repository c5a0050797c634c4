import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { generateKeys, type Keys } from '@ssb/keys'
import { afterAll, describe, expect, test } from 'vitest'
import {
  createBatchValidator,
  createMessage,
  type FeedState,
  type MsgValue,
  validateBatch,
  validateMessage,
} from '../src/index.js'

function makeFeed(keys: Keys, n: number, hmacKey: string | null = null): { key: string; value: MsgValue }[] {
  const out: { key: string; value: MsgValue }[] = []
  let state: FeedState | null = null
  for (let i = 0; i < n; i++) {
    const m = createMessage(keys, state, { type: 'post', text: `message ${i} ✓` }, 1700000000000 + i, { hmacKey })
    out.push(m)
    state = { id: m.key, sequence: i + 1, timestamp: m.value.timestamp }
  }
  return out
}

const alice = generateKeys()
const feed = makeFeed(alice, 600)
const values = () => feed.map((m) => structuredClone(m.value))
const validator = createBatchValidator({ workers: 2, chunkMessages: 64 })
afterAll(() => validator.close())

function withBadSignature(vs: MsgValue[], i: number): MsgValue[] {
  vs[i] = { ...vs[i]!, content: { type: 'post', text: 'tampered' } }
  return vs
}

describe.each([
  ['single thread', (s: FeedState | null, v: unknown[]) => validateBatch(s, v)],
  ['pooled, 2 workers', (s: FeedState | null, v: unknown[]) => validator.validateBatch(s, v)],
])('validateBatch (%s)', (_name, run) => {
  test('accepts a whole valid feed with the same keys as validateMessage', async () => {
    const r = await run(null, values())
    expect(r.error).toBeUndefined()
    expect(r.valid.map((m) => m.key)).toEqual(feed.map((m) => m.key))
    expect(r.state).toEqual({ id: feed[599]!.key, sequence: 600, timestamp: feed[599]!.value.timestamp })
  })

  test('continues from a state', async () => {
    const s = validateMessage(null, feed[0]!.value).state
    const r = await run(s, values().slice(1))
    expect(r.valid.length).toBe(599)
    expect(r.error).toBeUndefined()
  })

  test('stops at a bad signature and returns the valid prefix', async () => {
    const r = await run(null, withBadSignature(values(), 401))
    expect(r.valid.length).toBe(401)
    expect(r.error?.code).toBe('INVALID_SIGNATURE')
    expect(r.error?.fatal).toBe(true)
    expect(r.state?.sequence).toBe(401)
  })

  test('reports whichever error comes first: signature before structure', async () => {
    const vs = withBadSignature(values(), 300)
    vs[500] = { ...vs[500]!, hash: 'nope' as 'sha256' }
    const r = await run(null, vs)
    expect(r.valid.length).toBe(300)
    expect(r.error?.code).toBe('INVALID_SIGNATURE')
  })

  test('reports whichever error comes first: structure before signature', async () => {
    const vs = withBadSignature(values(), 450)
    vs.splice(300, 1)
    const r = await run(null, vs)
    expect(r.valid.length).toBe(300)
    expect(r.error?.code).toBe('INVALID_SEQUENCE')
    expect(r.error?.fatal).toBe(false)
  })

  test('a fork ends the batch (fatal)', async () => {
    const vs = values()
    const other: FeedState = { id: feed[1]!.key as FeedState['id'], sequence: 300, timestamp: 0 }
    vs[300] = createMessage(alice, other, { type: 'post', text: 'fork' }, 1).value
    const r = await run(null, vs)
    expect(r.valid.length).toBe(300)
    expect(r.error?.code).toBe('FORK')
    expect(r.error?.fatal).toBe(true)
  })

  test('a message of another feed ends the batch', async () => {
    const vs: unknown[] = values()
    vs[350] = makeFeed(generateKeys(), 1)[0]!.value
    const r = await run(null, vs)
    expect(r.valid.length).toBe(350)
    expect(r.error?.code).toBe('INVALID_AUTHOR')
  })

  test('an empty batch keeps the state', async () => {
    const s: FeedState = { id: feed[0]!.key as FeedState['id'], sequence: 1, timestamp: 1 }
    expect(await run(s, [])).toEqual({ valid: [], state: s })
  })
})

describe('pool behaviour', () => {
  test('HMAC sign-cap and a bad HMAC key', async () => {
    const hmacKey = Buffer.alloc(32, 5).toString('base64')
    const signed = makeFeed(alice, 300, hmacKey).map((m) => m.value)
    const ok = await validator.validateBatch(null, signed, { hmacKey })
    expect(ok.valid.length).toBe(300)
    const wrongKey = await validator.validateBatch(null, signed, { hmacKey: Buffer.alloc(32, 6).toString('base64') })
    expect(wrongKey.valid.length).toBe(0)
    expect(wrongKey.error?.code).toBe('INVALID_SIGNATURE')
    const badKey = await validator.validateBatch(null, signed, { hmacKey: 'short' })
    expect(badKey.error?.code).toBe('INVALID_HMAC_KEY')
  })

  test('concurrent batches share the pool', async () => {
    const bob = makeFeed(generateKeys(), 300).map((m) => m.value)
    const [a, b] = await Promise.all([validator.validateBatch(null, values()), validator.validateBatch(null, bob)])
    expect(a.valid.length).toBe(600)
    expect(b.valid.length).toBe(300)
  })

  test('plain validateBatch with workers starts and stops a pool', async () => {
    const r = await validateBatch(null, withBadSignature(values(), 555), { workers: 2 })
    expect(r.valid.length).toBe(555)
    expect(r.error?.code).toBe('INVALID_SIGNATURE')
  })

  test('closing while a batch is in flight still gives the right answer', async () => {
    const v = createBatchValidator({ workers: 1, chunkMessages: 32 })
    const pending = v.validateBatch(null, withBadSignature(values(), 590))
    await v.close()
    const r = await pending
    expect(r.valid.length).toBe(590)
    expect(r.error?.code).toBe('INVALID_SIGNATURE')
    expect((await v.validateBatch(null, values())).valid.length).toBe(600)
  })

  test('an unclosed pool does not keep the process alive', async () => {
    const script = `
      import { generateKeys } from '@ssb/keys'
      import { createBatchValidator, createMessage } from '@ssb/feed'
      const keys = generateKeys(); const vs = []; let s = null
      for (let i = 0; i < 300; i++) { const m = createMessage(keys, s, { type: 'post' }, i); vs.push(m.value); s = { id: m.key, sequence: i + 1, timestamp: i } }
      const r = await createBatchValidator({ workers: 2 }).validateBatch(null, vs)
      console.log(r.valid.length)
    `
    const cwd = fileURLToPath(new URL('..', import.meta.url))
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--conditions=@ssb/source', '--input-type=module', '-e', script],
        { cwd, timeout: 15000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      )
    })
    expect(out.trim()).toBe('300')
  })
})

describe('validateRuns (many feeds at once)', () => {
  const feeds = Array.from({ length: 12 }, () => makeFeed(generateKeys(), 9).map((m) => m.value))
  const runsOf = (vs: MsgValue[][]) => vs.map((values) => ({ state: null, values }))
  const pooled = createBatchValidator({ workers: 2, chunkMessages: 16, parallelThreshold: 32 })
  afterAll(() => pooled.close())

  test.each([
    ['pooled', () => pooled],
    ['single thread', () => createBatchValidator({ workers: 0 })],
  ])('%s: gives each run the result validateBatch gives it alone', async (_name, make) => {
    const vs = feeds.map((f) => structuredClone(f))
    // messages 22 and 27 overall: one worker job (16 each) holds both, and stops at the first
    withBadSignature(vs[2]!, 4)
    withBadSignature(vs[3]!, 0)
    withBadSignature(vs[6]!, 7)
    withBadSignature(vs[7]!, 1)
    vs[9]!.splice(5, 1) // a gap: structural error after 5
    const v = make()
    const results = await v.validateRuns(runsOf(vs))
    const alone = await Promise.all(vs.map((values) => validateBatch(null, values)))
    expect(results.map((r) => [r.valid.map((m) => m.key), r.state, r.error?.code])).toEqual(
      alone.map((r) => [r.valid.map((m) => m.key), r.state, r.error?.code]),
    )
    expect(results.map((r) => r.valid.length)).toEqual([9, 9, 4, 0, 9, 9, 7, 1, 9, 5, 9, 9])
    expect(results[9]!.error?.code).toBe('INVALID_SEQUENCE')
  })

  test('continues each run from its own state; empty runs keep theirs', async () => {
    const states = feeds.map((f) => validateMessage(null, f[0]).state)
    const runs = feeds.map((f, i) => ({ state: states[i]!, values: i === 5 ? [] : f.slice(1) }))
    const results = await pooled.validateRuns(runs)
    expect(results.map((r) => r.valid.length)).toEqual(feeds.map((_, i) => (i === 5 ? 0 : 8)))
    expect(results[5]!.state).toEqual(states[5])
    expect(results[0]!.state?.sequence).toBe(9)
  })

  test('a bad HMAC key fails every run without verifying', async () => {
    const results = await pooled.validateRuns(runsOf(feeds), { hmacKey: 'short' })
    expect(results.every((r) => r.valid.length === 0 && r.error?.code === 'INVALID_HMAC_KEY')).toBe(true)
  })
})

// query.read on a real store vs a naive evaluator: the naive one sorts ALL messages by the
// planned index's tuple in memory (charwise order, one message per equal tuple: the last one
// stored), then applies the stages; the real one reads @ssb/db's indexes. Types, channels and
// claimed timestamps are chosen so that charwise order differs from plain string order
// (spaces, `!`) and so that tuples collide.
import type { Db } from '@ssb/db'
import { RawJson, charwise, compareKeys, queryView, tupleOf } from '@ssb/db'
import type { KVT } from '@ssb/feed'
import fc from 'fast-check'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { applyQuery, createQuery, explain } from '../src/index.js'
import { Writer, collect, tempDb } from './helpers.js'

const TYPES = ['post', 'po!st', 'post x', 'vote', 'pub', 'abc']
const CHANNELS = ['c1', 'c 2', 'c!3', 'c']
let store: { db: Db; close(): Promise<void> }
let log: KVT[] = []
let writers: Writer[] = []

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

beforeAll(async () => {
  store = await tempDb(7)
  writers = [new Writer(11), new Writer(12), new Writer(13)]
  const r = rng(42)
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!
  const seqs = [0, 0, 0]
  const values = []
  for (let i = 0; i < 400; i++) {
    const f = Math.floor(r() * 3)
    seqs[f]!++
    const content: Record<string, unknown> = { type: pick(TYPES), i }
    if (r() < 0.4) content.channel = pick(CHANNELS)
    if (r() < 0.3) content.root = `root ${Math.floor(r() * 4)}`
    const v = writers[f]!.next(content, 1000 + seqs[f]! * 2 + (f % 2))
    values.push(v)
  }
  // add in small batches so receive order = this order and several index batches are written
  for (let i = 0; i < values.length; i += 37) await store.db.addBatch(values.slice(i, i + 37))
  log = (await collect(store.db.createLogStream({}))) as KVT[]
  expect(log.length).toBe(400)
}, 60_000)

afterAll(async () => {
  await store?.close()
})

function naive(opts: { query: unknown[]; reverse?: boolean; limit?: number }): Promise<unknown[]> {
  const plan = explain(opts)
  let items: unknown[]
  if ('scan' in plan) {
    items = opts.reverse ? [...log].reverse() : [...log]
  } else {
    const lo = charwise(plan.gte)!
    const hi = charwise(plan.lte)!
    const last = new Map<string, number>()
    log.forEach((kvt, i) => {
      const view = queryView(kvt, kvt.value.content as Record<string, unknown>)
      const t = tupleOf(plan.index, view)
      const e = t === null ? null : charwise(t)
      if (e === null || compareKeys(e, lo) < 0 || compareKeys(e, hi) > 0) return
      last.set(e, i)
    })
    const sorted = [...last.entries()].sort((a, b) => compareKeys(a[0], b[0]))
    if (opts.reverse) sorted.reverse()
    items = sorted.map(([, i]) => ({ ...log[i]!, rts: queryView(log[i]!, null).rts }))
  }
  return applyQuery(opts.query, items).then((out) => (opts.limit ? out.slice(0, opts.limit) : out))
}

const field = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 })

const filterArb = fc
  .record({
    type: field(fc.oneof(fc.constantFrom(...TYPES), fc.constant({ $prefix: 'po' }), fc.constant({ $gt: 'p', $lte: 'r' }))),
    author: field(fc.integer({ min: 0, max: 2 })),
    sequence: field(fc.oneof(fc.integer({ min: 0, max: 140 }).map((n) => ({ $gt: n })), fc.integer({ min: 0, max: 140 }).map((n) => ({ $lte: n })))),
    claimed: field(fc.tuple(fc.integer({ min: 1000, max: 1300 }), fc.integer({ min: 0, max: 200 })).map(([a, d]) => ({ $gte: a, $lt: a + d }))),
    channel: field(fc.oneof(fc.constantFrom(...CHANNELS), fc.constant({ $prefix: 'c' }))),
    root: field(fc.constantFrom('root 0', 'root 3')),
    rts: field(fc.integer({ min: 1000, max: 1300 }).map((a) => ({ $gte: a, $lte: a + 30 }))),
    // receive time: picks the `log` index when alone
    received: field(fc.integer({ min: 0, max: 399 })),
    // not indexed: read in part by the store's prefilter (scans, and next to an index)
    i: field(fc.oneof(fc.integer({ min: 0, max: 399 }).map((n) => ({ $gt: n })), fc.integer({ min: 0, max: 399 }))),
  })
  .map((f) => {
    const value: Record<string, unknown> = {}
    const content: Record<string, unknown> = {}
    if (f.type !== undefined) content.type = f.type
    if (f.channel !== undefined) content.channel = f.channel
    if (f.root !== undefined) content.root = f.root
    if (f.i !== undefined) content.i = f.i
    if (f.author !== undefined) value.author = writers[f.author]!.id
    if (f.sequence !== undefined) value.sequence = f.sequence
    if (f.claimed !== undefined) value.timestamp = f.claimed
    if (Object.keys(content).length > 0) value.content = content
    const q: Record<string, unknown> = {}
    if (Object.keys(value).length > 0) q.value = value
    if (f.rts !== undefined) q.rts = f.rts
    if (f.received !== undefined) q.timestamp = { $gt: log[f.received]!.timestamp }
    return q
  })

const tailArb = fc.constantFrom<unknown[]>(
  [],
  [{ $map: ['value', 'sequence'] }],
  [{ $sort: [['value', 'author'], ['value', 'sequence']] }],
  [{ $sort: ['timestamp'] }],
  [{ $reduce: { t: ['value', 'content', 'type'], n: { $count: true } } }],
  // fields read in part (readIndex `fields`): paths into the header, the content, rts, the key
  [{ $reduce: { a: ['value', 'author'], n: { $count: true } } }],
  [{ $map: { k: 'key', r: 'rts', t: 'timestamp', c: ['value', 'content', 'channel'] } }],
  [{ $map: ['value', 'content'] }],
  [{ $map: true }],
  [{ $sort: ['rts'] }, { $map: ['value', 'content', 'i'] }],
  [{ $filter: { value: { content: { i: { $gt: 100 } } } } }, { $reduce: { $max: 'rts' } }],
  [{ $reduce: { r: ['value', 'content', 'root'], all: { $collect: ['value', 'content', 'i'] } } }],
  [{ $map: { value: true, x: ['value', 'content', 'type', 'length'] } }],
)

test('query.read = naive in-memory evaluation (order included)', async () => {
  const query = createQuery(store.db)
  await fc.assert(
    fc.asyncProperty(filterArb, tailArb, fc.boolean(), fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }), async (filter, tail, reverse, limit) => {
      const opts: { query: unknown[]; reverse: boolean; limit?: number } = { query: [{ $filter: filter }, ...tail], reverse }
      if (limit !== undefined) opts.limit = limit
      const got = await collect(query.read(opts))
      const want = await naive(opts)
      expect(got).toEqual(want)
      // what the server sends: raw JSON where it can, the same items once parsed
      const raw = await collect(query.read({ ...opts, raw: true }))
      expect(raw.map((x) => (x instanceof RawJson ? JSON.parse(Buffer.from(x.json).toString('utf8')) : x))).toEqual(want)
    }),
    { numRuns: 250 },
  )
}, 120_000)

test('raw reads apply the filter on every index, the log one included', async () => {
  const query = createQuery(store.db)
  const parse = (x: unknown) => (x instanceof RawJson ? JSON.parse(Buffer.from(x.json).toString('utf8')) : x)
  const cases: unknown[][] = [
    [{ $filter: { timestamp: { $gt: log[200]!.timestamp } } }],
    [{ $filter: { timestamp: { $gte: log[10]!.timestamp, $lt: log[20]!.timestamp }, value: { content: { i: { $gt: 12 } } } } }],
    [{ $filter: { rts: { $gt: 1100 }, value: { content: { type: 'vote' } } } }],
    [{ $filter: { value: { content: { type: 'post', channel: 'c1' } } } }],
  ]
  for (const q of cases) {
    expect(explain({ query: q })).not.toHaveProperty('scan')
    const got = (await collect(query.read({ query: q, raw: true }))).map(parse)
    expect(got).toEqual(await naive({ query: q }))
  }
})

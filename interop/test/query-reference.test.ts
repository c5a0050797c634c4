// query.read / query.explain against the real ssb-server 16 (ssb-query 2.4.5): the same 10,000
// messages are stored in both servers in the same order, then the same queries must give the
// same items in the same order. Receive timestamps differ between the two stores (each stamps
// its own arrival time), so items are compared without `timestamp`; everything else — keys,
// values, `rts`, order, sync markers, mapped/reduced shapes — must be equal.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { call, closeClient, collect, connectClient, iterate, source, type PullSource, type SsbClient } from '../src/client.js'
import { FeedWriter, ssbKeys } from '../src/feed-fixtures.js'
import { startOurServer, type OurServer } from '../src/our-server.js'
import { makeQueryFixture, readLiveBoth, type QueryFixture } from '../src/query-fixtures.js'
import { startReference, type ReferencePeer } from '../src/reference.js'
import { writeToReference } from '../src/replication-helpers.js'

const TOTAL = 10_000
const FEEDS = 24

let ref: ReferencePeer
let ours: OurServer
let refClient: SsbClient
let ourClient: SsbClient
let fx: QueryFixture

type Obj = Record<string, unknown>

/** Drops the receive timestamp (store-local) from message-shaped items. */
function comparable(items: unknown[]): unknown[] {
  return items.map((x) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) return x
    const o = { ...(x as Obj) }
    if (typeof o.key === 'string' && typeof o.value === 'object') delete o.timestamp
    return o
  })
}

async function readBoth(opts: unknown): Promise<[unknown[], unknown[]]> {
  const [a, b] = await Promise.all([
    collect(source(refClient, 'query.read', opts)),
    collect(source(ourClient, 'query.read', opts)),
  ])
  return [comparable(a), comparable(b)]
}

beforeAll(async () => {
  fx = makeQueryFixture(FEEDS, TOTAL)
  ;[ref, ours] = await Promise.all([startReference(), startOurServer()])
  ;[refClient, ourClient] = await Promise.all([
    ref.client(),
    connectClient({ remote: ours.address, keys: ours.keys, manifest: ours.manifest }),
  ])
  const res = await ours.server.db.addBatch(fx.all)
  expect(res.errors).toEqual([])
  await writeToReference(refClient, fx.all, 120_000)
  const [refLog, ourLog] = await Promise.all([
    collect(source<string>(refClient, 'createLogStream', { keys: true, values: false })),
    collect(source<string>(ourClient, 'createLogStream', { keys: true, values: false })),
  ])
  expect(ourLog).toEqual(fx.ids)
  expect(refLog).toEqual(fx.ids)
}, 120_000)

afterAll(async () => {
  await Promise.allSettled([refClient && closeClient(refClient), ourClient && closeClient(ourClient)])
  await Promise.allSettled([ref?.stop(), ours?.stop()])
})

describe('query.read gives the same items, in the same order, as ssb-server 16', () => {
  const author = (i: number): string => fx.writers[i]!.id
  const cases: Array<[string, () => unknown, number]> = [
    ['type (typ index)', () => ({ query: [{ $filter: { value: { content: { type: 'vote' } } } }] }), 1000],
    ['type, reverse, limit', () => ({ query: [{ $filter: { value: { content: { type: 'post' } } } }], reverse: true, limit: 37 }), 37],
    ['author (clk index)', () => ({ query: [{ $filter: { value: { author: author(3) } } }] }), 100],
    ['author + type (aty index)', () => ({ query: [{ $filter: { value: { author: author(5), content: { type: 'about' } } } }] }), 10],
    ['author + sequence range', () => ({ query: [{ $filter: { value: { author: author(7), sequence: { $gt: 40, $lte: 90 } } } }] }), 50],
    [
      'type + claimed-time range (tya, equal keys collapse)',
      () => ({ query: [{ $filter: { value: { timestamp: { $gte: 1_600_000_000_100, $lt: 1_600_000_000_300 }, content: { type: 'post' } } } }] }),
      10,
    ],
    ['channel (cha index)', () => ({ query: [{ $filter: { value: { content: { channel: 'ch 2' } } } }] }), 100],
    ['root (art index)', () => ({ query: [{ $filter: { value: { content: { root: fx.ids[0] } } } }] }), 1],
    ['type $prefix (typ range over several types)', () => ({ query: [{ $filter: { value: { content: { type: { $prefix: 'po' } } } } }], limit: 3000 }), 3000],
    ['nested content field, no index (log scan)', () => ({ query: [{ $filter: { value: { content: { details: { kind: 'k1' } } } } }] }), 100],
    ['$in (not a range: scan), reverse', () => ({ query: [{ $filter: { value: { content: { type: { $in: ['pub', 'gathering'] } } } } }], reverse: true }), 1000],
    ['rts range (lor index)', () => ({ query: [{ $filter: { rts: { $gte: 1_600_000_000_050, $lte: 1_600_000_000_060 } } }] }), 5],
    [
      '$map template',
      () => ({ query: [{ $filter: { value: { content: { type: 'about' } } } }, { $map: { name: ['value', 'content', 'name'], who: ['value', 'author'], seq: ['value', 'sequence'] } }] }),
      500,
    ],
    ['$map path, falsy results dropped', () => ({ query: [{ $filter: { value: { content: { type: 'post' } } } }, { $map: ['value', 'content', 'root'] }] }), 100],
    [
      '$reduce grouped count',
      () => ({ query: [{ $filter: { value: { content: { type: 'vote' } } } }, { $reduce: { author: ['value', 'author'], n: { $count: true } } }] }),
      FEEDS,
    ],
    [
      '$sort by index path (picks that index)',
      () => ({ query: [{ $filter: { value: { content: { type: 'contact' } } } }, { $sort: [['value', 'author'], ['value', 'sequence']] }] }),
      500,
    ],
    ['bare filter object (range only, no filtering)', () => ({ query: { value: { author: author(2), sequence: { $gt: 10 } } }, limit: 20 }), 20],
    ['$lt / $gt operators on a non-indexed field', () => ({ query: [{ $filter: { value: { content: { n: { $gt: 9900, $lt: 9950 } } } } }] }), 10],
  ]
  for (const [name, opts, atLeast] of cases) {
    test(name, async () => {
      const o = opts()
      const [a, b] = await readBoth(o)
      expect(b.length).toBe(a.length)
      expect(a.length).toBeGreaterThanOrEqual(Math.min(atLeast, 1))
      expect(b).toEqual(a)
      const [ea, eb] = await Promise.all([call(refClient, 'query.explain', o), call(ourClient, 'query.explain', o)])
      expect(eb).toEqual(ea)
    })
  }
})

test('live: old part, sync marker, then a message added later (to both)', async () => {
  const w = new FeedWriter()
  const opts = { query: [{ $filter: { value: { content: { type: 'gathering', details: { kind: 'k2' } } } } }], live: true }
  const limitOld = (await readBoth({ query: opts.query })).map((x) => x.length)
  expect(limitOld[0]).toBeGreaterThan(0)
  const want = limitOld[0]! + 2 // old items, sync, the new one
  const late = w.append({ type: 'gathering', details: { kind: 'k2', n: 1 } })
  const [a, b] = await readLiveBoth([refClient, ourClient], 'query.read', opts, want, () => Promise.all([call(refClient, 'add', late), ours.server.db.add(late)]))
  expect(a[a.length - 2]).toEqual({ sync: true })
  expect(comparable(b)).toEqual(comparable(a))
  expect((b[b.length - 1] as { value: unknown }).value).toEqual(late)
}, 30_000)

test('old: false streams only new messages (no sync marker)', async () => {
  const w = new FeedWriter()
  const opts = { query: [{ $filter: { value: { author: w.id } } }], old: false }
  const ac = new AbortController()
  const first = async (client: SsbClient): Promise<unknown> => {
    for await (const x of iterate(source(client, 'query.read', opts), { signal: ac.signal })) return x
    return undefined
  }
  const pa = first(refClient)
  const pb = first(ourClient)
  await new Promise((r) => setTimeout(r, 300))
  const m = w.append({ type: 'post', text: 'new' })
  await Promise.all([call(refClient, 'add', m), ours.server.db.add(m)])
  const [a, b] = await Promise.all([pa, pb])
  ac.abort()
  expect(comparable([b])).toEqual(comparable([a]))
  expect((b as { value: unknown }).value).toEqual(m)
}, 30_000)

test('strangers may not query; bad queries get a clear error', async () => {
  const stranger = ssbKeys.generate()
  const [refStranger, ourStranger] = await Promise.all([
    connectClient({ remote: ref.address, keys: stranger }),
    connectClient({ remote: ours.address, keys: stranger, manifest: ours.manifest }),
  ])
  try {
    const opts = { query: [{ $filter: { value: { content: { type: 'post' } } } }], limit: 1 }
    await expect(collect(source(refStranger, 'query.read', opts))).rejects.toThrow()
    await expect(collect(source(ourStranger, 'query.read', opts))).rejects.toThrow()
    await expect(collect(source(ourStranger, 'links2.read', {}))).rejects.toThrow()
  } finally {
    await Promise.allSettled([closeClient(refStranger), closeClient(ourStranger)])
  }
  /** The error message a source ends with (muxrpc 6 hands over a plain `{message}` object). */
  const message = (src: PullSource<unknown>): Promise<string> =>
    new Promise((resolve) => {
      const next = (): void =>
        src(null, (end) => {
          if (end === true) resolve('')
          else if (end) resolve(String((end as { message?: unknown }).message ?? end))
          else next()
        })
      next()
    })
  expect(await message(source(ourClient, 'query.read', { query: [{ $filter: { value: { $where: 'x' } } }] }))).toMatch(/unknown operator: \$where/)
  let deep: unknown = 1
  for (let i = 0; i < 100; i++) deep = { a: deep }
  expect(await message(source(ourClient, 'query.read', { query: [{ $filter: deep }] }))).toMatch(/deeper/)
  const explainErr = await call(ourClient, 'query.explain', { query: '[not json' }).then(() => '', (e: { message?: unknown }) => String(e.message))
  expect(explainErr).toMatch(/JSON/)
})

// links2.read against the real ssb-server 16 (ssb-links 3.0.10): the same messages in both
// stores, in the same order, then the same link queries must give the same rows in the same
// order. `ts` is the receive time (store-local), so rows are compared without it — but it still
// orders rows, and both stores received the messages in the same order.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { call, closeClient, collect, connectClient, source, type SsbClient } from '../src/client.js'
import { randomBytes } from 'node:crypto'
import { FeedWriter, msgId } from '../src/feed-fixtures.js'
import { startOurServer, type OurServer } from '../src/our-server.js'
import { makeQueryFixture, readLiveBoth, type QueryFixture } from '../src/query-fixtures.js'
import { startReference, type ReferencePeer } from '../src/reference.js'
import { writeToReference } from '../src/replication-helpers.js'

const TOTAL = 3_000
const FEEDS = 12

let ref: ReferencePeer
let ours: OurServer
let refClient: SsbClient
let ourClient: SsbClient
let fx: QueryFixture
/** The message a sealed (undecryptable) message of writers[4] follows. */
let beforeSealed: string

function noTs(items: unknown[]): unknown[] {
  return items.map((x) => {
    if (typeof x !== 'object' || x === null) return x
    const o = { ...(x as Record<string, unknown>) }
    delete o.ts
    return o
  })
}

async function readBoth(opts: unknown): Promise<[unknown[], unknown[]]> {
  const [a, b] = await Promise.all([collect(source(refClient, 'links2.read', opts)), collect(source(ourClient, 'links2.read', opts))])
  return [noTs(a), noTs(b)]
}

beforeAll(async () => {
  fx = makeQueryFixture(FEEDS, TOTAL)
  ;[ref, ours] = await Promise.all([startReference(), startOurServer()])
  ;[refClient, ourClient] = await Promise.all([ref.client(), connectClient({ remote: ours.address, keys: ours.keys, manifest: ours.manifest })])
  expect((await ours.server.db.addBatch(fx.all)).errors).toEqual([])
  await writeToReference(refClient, fx.all, 60_000)
  // content neither server can decrypt: ssb-links then reads links from the message value
  const w = fx.writers[4]!
  beforeSealed = msgId(w.messages[w.messages.length - 1]!)
  const sealed = w.append(randomBytes(120).toString('base64') + '.box')
  await Promise.all([call(refClient, 'add', sealed), ours.server.db.add(sealed)])
}, 90_000)

afterAll(async () => {
  await Promise.allSettled([refClient && closeClient(refClient), ourClient && closeClient(ourClient)])
  await Promise.allSettled([ref?.stop(), ours?.stop()])
})

const cases: Array<[string, () => unknown]> = [
  ['dest (DRS)', () => ({ query: [{ $filter: { dest: fx.ids[0] } }] })],
  ['dest, reverse, limit', () => ({ query: [{ $filter: { dest: fx.ids[0] } }], reverse: true, limit: 5 })],
  ['source (SRD, one feed)', () => ({ query: [{ $filter: { source: fx.writers[4]!.id } }] })],
  ['source + exact rel (votes with value 1)', () => ({ query: [{ $filter: { source: fx.writers[2]!.id, rel: ['vote', 1] } }] })],
  ['rel range: feed mentions by name (RDS)', () => ({ query: [{ $filter: { rel: ['mentions', { $prefix: '@b' }] } }] })],
  ['contact rows (rel carries following/blocking)', () => ({ query: [{ $filter: { dest: fx.writers[4]!.id, rel: { $gt: ['contact'], $lt: ['contacu'] } } }] })],
  ['dest is a feed: its sealed messages link it as author', () => ({ query: [{ $filter: { dest: fx.writers[4]!.id, rel: ['author'] } }] })],
  ['dest is a message: a sealed next message links it as previous', () => ({ query: [{ $filter: { dest: beforeSealed } }] })],
  ['$sort names an index', () => ({ query: [{ $filter: { dest: fx.ids[1] } }, { $sort: ['dest', 'rel', 'source', 'ts'] }] })],
  ['$map over rows', () => ({ query: [{ $filter: { source: fx.writers[6]!.id } }, { $map: ['rel', 0] }] })],
  ['no usable index: raw rows of the log, limit counts messages', () => ({ query: [{ $filter: { ts: { $gt: 0 } } }], limit: 40 })],
]

for (const [name, opts] of cases) {
  test(name, async () => {
    const [a, b] = await readBoth(opts())
    expect(a.length).toBeGreaterThan(0)
    expect(b).toEqual(a)
  })
}

test('live rows after the old ones and the sync marker', async () => {
  const dest = fx.ids[2]!
  const opts = { query: [{ $filter: { dest } }], live: true }
  const [old] = await readBoth({ query: opts.query })
  const want = old.length + 2
  const m = new FeedWriter().append({ type: 'vote', vote: { link: dest, value: 1 } })
  const [a, b] = await readLiveBoth([refClient, ourClient], 'links2.read', opts, want, () => Promise.all([call(refClient, 'add', m), ours.server.db.add(m)]))
  expect(a[old.length]).toEqual({ sync: true })
  expect(noTs(b)).toEqual(noTs(a))
}, 30_000)

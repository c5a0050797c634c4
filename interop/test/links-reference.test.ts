// `links` parity with ssb-server 16 (ssb-db 20's link index): the same signed messages go into
// the reference and into OUR server, then the same `links` queries through ssb-client 4.9 must
// give deep-equal results, in the same order. The messages link to messages, feeds and blobs
// through `root`, `branch` (string and array), `mentions` (array, and the object-as-array
// quirk), `vote.link`, `contact`, `about`, links with a `?query`, and things that are not links.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { closeClient, collect, connectClient, iterate, source, type SsbClient } from '../src/client.js'
import { FeedWriter, msgId, type MsgValue } from '../src/feed-fixtures.js'
import { startOurServer, type OurServer } from '../src/our-server.js'
import { startReference, type ReferencePeer } from '../src/reference.js'
import { writeToReference } from '../src/replication-helpers.js'

const FEEDS = 5
const TOTAL = 300

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be reproduced. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function fakeId(sigil: string, n: number, suffix: string): string {
  const bytes = Buffer.alloc(32)
  bytes.writeUInt32BE(n, 0)
  bytes.write('links-parity', 4)
  return `${sigil}${bytes.toString('base64')}${suffix}`
}

interface Fixture {
  writers: FeedWriter[]
  all: MsgValue[]
  ids: string[]
  blobs: string[]
  /** A message id that many messages link to. */
  hot: string
  /** Links to a message we do not have. */
  unknownMsg: string
  /** A feed that only others link to. */
  stranger: string
}

function makeFixture(): Fixture {
  const rand = rng(0x5eb)
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!
  const writers = Array.from({ length: FEEDS }, (_, i) => new FeedWriter(undefined, 1_600_000_000_000 + i * 7))
  const feeds = writers.map((w) => w.id)
  const stranger = fakeId('@', 1, '.ed25519')
  const blobs = [1, 2, 3, 4].map((n) => fakeId('&', n, '.sha256'))
  const unknownMsg = fakeId('%', 9, '.sha256')
  const ids: string[] = []
  const all: MsgValue[] = []
  // A small pool of targets, so one (source, rel, dest) recurs and ties are broken by sequence.
  const msgTarget = () => (ids.length === 0 || rand() < 0.1 ? unknownMsg : rand() < 0.4 ? ids[0]! : pick(ids.slice(-20)))
  const feedTarget = () => (rand() < 0.2 ? stranger : pick(feeds))
  for (let i = 0; i < TOTAL; i++) {
    const w = writers[i % FEEDS]!
    let content: Record<string, unknown>
    switch (i % 10) {
      case 0:
        content = {
          type: 'post',
          text: `thread ${i} ✓`,
          root: msgTarget(),
          branch: msgTarget(),
          mentions: [{ link: feedTarget(), name: 'someone' }, { link: pick(blobs), type: 'image/png', size: 10 }, msgTarget()],
        }
        break
      case 1:
        content = { type: 'vote', vote: { link: msgTarget(), value: 1, expression: 'Like' } }
        break
      case 2:
        content = { type: 'contact', contact: feedTarget(), following: rand() < 0.8 }
        break
      case 3:
        content = { type: 'post', text: `reply ${i}`, root: msgTarget(), branch: [msgTarget(), msgTarget()] }
        break
      case 4:
        content = { type: 'about', about: feedTarget(), image: { link: pick(blobs), size: 10 }, name: `n${i}` }
        break
      case 5:
        // ssb-msgs reads an object with keys 0, 1, … as an array.
        content = { type: 'post', text: `quirk ${i}`, mentions: { 0: { link: feedTarget() }, 1: { link: msgTarget() } } }
        break
      case 6:
        content = {
          type: 'post',
          text: `not links ${i}`,
          nested: { deep: { link: msgTarget() } },
          bad: '%notalink.sha256',
          short: '@abc.ed25519',
          attachment: `${pick(blobs)}?unbox=${Buffer.alloc(32, i).toString('base64')}.boxs`,
        }
        break
      case 7:
        content = { type: 'post', text: `plain ${i}` }
        break
      case 8:
        content = { type: 'gathering', 'rël': msgTarget(), 'Zz': feedTarget(), aa: pick(blobs) }
        break
      default:
        content = { type: 'post', text: `same ${i}`, root: ids[0] ?? unknownMsg, branch: ids[0] ?? unknownMsg }
    }
    const value = w.append(content)
    all.push(value)
    ids.push(msgId(value))
  }
  return { writers, all, ids, blobs, hot: ids[0]!, unknownMsg, stranger }
}

let fx: Fixture
let reference: ReferencePeer
let ours: OurServer
let refClient: SsbClient
let ourClient: SsbClient

beforeAll(async () => {
  fx = makeFixture()
  ;[reference, ours] = await Promise.all([startReference(), startOurServer()])
  refClient = await reference.client()
  ourClient = await connectClient({ remote: ours.address, keys: ours.keys, manifest: ours.manifest })
  await writeToReference(refClient, fx.all)
  await ours.server.db.addBatch(fx.all)
}, 120_000)

afterAll(async () => {
  if (ourClient) await closeClient(ourClient).catch(() => {})
  await reference?.stop()
  await ours?.stop()
})

async function both(opts: Record<string, unknown>): Promise<{ ref: unknown[]; ourRows: unknown[] }> {
  const [ref, ourRows] = await Promise.all([
    collect(source(refClient, 'links', { ...opts })),
    collect(source(ourClient, 'links', { ...opts })),
  ])
  return { ref, ourRows }
}

/** Same result on both servers; returns how many rows, so a case can insist on a non-empty answer. */
async function expectSame(opts: Record<string, unknown>): Promise<number> {
  const { ref, ourRows } = await both(opts)
  expect(ourRows, JSON.stringify(opts)).toEqual(ref)
  return ref.length
}

describe('links: same rows in the same order as ssb-server 16', () => {
  test('by source (each feed), by dest (messages, feeds, blobs, unknown)', async () => {
    for (const w of fx.writers) expect(await expectSame({ source: w.id })).toBeGreaterThan(10)
    expect(await expectSame({ dest: fx.hot })).toBeGreaterThan(10)
    expect(await expectSame({ dest: fx.unknownMsg })).toBeGreaterThan(5)
    expect(await expectSame({ dest: fx.stranger })).toBeGreaterThan(5)
    for (const b of fx.blobs) expect(await expectSame({ dest: b })).toBeGreaterThan(0)
    for (const id of fx.ids.slice(-25)) await expectSame({ dest: id })
    for (const w of fx.writers) await expectSame({ dest: w.id })
  })

  test('rel alone, and combined with source and dest', async () => {
    for (const rel of ['root', 'branch', 'mentions', 'vote', 'contact', 'about', 'image', 'rël', 'Zz', 'aa', 'attachment', 'nested', 'none']) {
      await expectSame({ rel })
    }
    expect(await expectSame({ rel: 'root', dest: fx.hot })).toBeGreaterThan(5)
    expect(await expectSame({ rel: 'mentions', dest: fx.stranger })).toBeGreaterThan(0)
    const w = fx.writers[0]!
    expect(await expectSame({ source: w.id, rel: 'root' })).toBeGreaterThan(0)
    expect(await expectSame({ source: w.id, dest: fx.hot })).toBeGreaterThan(0)
    expect(await expectSame({ source: w.id, dest: fx.hot, rel: 'branch' })).toBeGreaterThan(0)
    await expectSame({ source: w.id, dest: fx.hot, rel: 'vote' })
    await expectSame({ source: fx.stranger })
  })

  test('sigils and type names: feed, msg, blob', async () => {
    expect(await expectSame({ dest: '&' })).toBeGreaterThan(10)
    expect(await expectSame({ dest: 'blob' })).toBeGreaterThan(10)
    expect(await expectSame({ dest: 'feed', rel: 'contact' })).toBeGreaterThan(10)
    expect(await expectSame({ source: '@', dest: '%' })).toBeGreaterThan(10)
    expect(await expectSame({ source: fx.writers[1]!.id, dest: 'msg' })).toBeGreaterThan(5)
    expect(await expectSame({ source: 'feed', rel: 'mentions' })).toBeGreaterThan(5)
  })

  test('everything (no source, dest or rel)', async () => {
    expect(await expectSame({})).toBeGreaterThan(300)
  })

  test('keys, values and meta combinations', async () => {
    const w = fx.writers[0]!
    for (const shape of [
      { values: true },
      { keys: false },
      { keys: false, values: true },
      { meta: false },
      { meta: false, values: true },
      { meta: false, keys: false, values: true },
    ]) {
      expect(await expectSame({ dest: fx.hot, ...shape })).toBeGreaterThan(5)
      expect(await expectSame({ source: w.id, rel: 'mentions', ...shape })).toBeGreaterThan(0)
    }
  })

  test('reverse', async () => {
    expect(await expectSame({ dest: fx.hot, reverse: true })).toBeGreaterThan(5)
    expect(await expectSame({ source: fx.writers[3]!.id, reverse: true })).toBeGreaterThan(10)
    expect(await expectSame({ dest: '&', reverse: true, values: true })).toBeGreaterThan(10)
    expect(await expectSame({ rel: 'root', reverse: true })).toBeGreaterThan(10)
  })

  test('gt/lt and limit (ssb-db builds its own range: they are ignored)', async () => {
    const mid = fx.ids[150]!
    expect(await expectSame({ dest: fx.hot, gt: mid })).toBeGreaterThan(5)
    expect(await expectSame({ dest: fx.hot, lt: mid, gte: fx.ids[3] })).toBeGreaterThan(5)
    expect(await expectSame({ source: fx.writers[0]!.id, limit: 3 })).toBeGreaterThan(3)
  })

  /**
   * Reads a live `links` stream: `ready` once the first `oldCount` items (the old part) are in,
   * `done` with the first `total` items. Both servers subscribe to new messages no later than
   * they finish the old part, so a message stored after `ready` must reach the live part.
   */
  function liveRead(client: SsbClient, opts: Record<string, unknown>, oldCount: number, total: number) {
    let markReady!: () => void
    const ready = new Promise<void>((r) => (markReady = r))
    if (oldCount === 0) markReady()
    const done = (async () => {
      const out: unknown[] = []
      try {
        for await (const item of iterate(source(client, 'links', opts))) {
          out.push(item)
          if (out.length === oldCount) markReady()
          if (out.length === total) break
        }
      } finally {
        markReady()
      }
      return out
    })()
    return { ready, done }
  }

  async function liveBoth(opts: Record<string, unknown>, oldCount: number, total: number, late: MsgValue): Promise<[unknown[], unknown[]]> {
    const reads = [liveRead(refClient, opts, oldCount, total), liveRead(ourClient, opts, oldCount, total)]
    await Promise.all(reads.map((r) => r.ready))
    if (oldCount === 0) {
      // Nothing to wait for: a round trip on each connection, then a margin for the subscription.
      await Promise.all([collect(source(refClient, 'links', { dest: fx.hot })), collect(source(ourClient, 'links', { dest: fx.hot }))])
      await new Promise((r) => setTimeout(r, 500))
    }
    await Promise.all([writeToReference(refClient, [late]), ours.server.db.add(late)])
    return (await Promise.all(reads.map((r) => r.done))) as [unknown[], unknown[]]
  }

  test('live: old rows, {sync: true}, then a new linking message as it arrives', async () => {
    const n = (await both({ dest: fx.hot, rel: 'root' })).ref.length
    const late = new FeedWriter().append({ type: 'post', text: 'late', root: fx.hot })
    const [ref, ourRows] = await liveBoth({ dest: fx.hot, rel: 'root', live: true }, n + 1, n + 2, late)
    expect(ourRows).toEqual(ref)
    expect(ref[n]).toEqual({ sync: true })
    expect((ref[n + 1] as { key: string }).key).toBe(msgId(late))
  })

  test('live with sync: false has no marker', async () => {
    const n = (await both({ dest: fx.blobs[0], keys: false })).ref.length
    const late = new FeedWriter().append({ type: 'post', text: 'blob', mentions: [{ link: fx.blobs[0], size: 1 }] })
    const [ref, ourRows] = await liveBoth({ dest: fx.blobs[0], live: true, sync: false, keys: false }, n, n + 1, late)
    expect(ourRows).toEqual(ref)
    expect(ref[n]).toEqual({ dest: fx.blobs[0], rel: 'mentions', source: late.author })
  })

  test('old: false gives only what arrives', async () => {
    const late = new FeedWriter().append({ type: 'contact', contact: fx.stranger, following: true })
    const [ref, ourRows] = await liveBoth({ source: 'feed', dest: fx.stranger, live: true, old: false, values: true }, 0, 1, late)
    expect(ourRows).toEqual(ref)
    expect(ref).toHaveLength(1)
    expect((ref[0] as { key: string }).key).toBe(msgId(late))
  })
})

import type { KVT, MsgValue } from '@ssb/feed'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { RawJson } from '../src/index.js'
import { FeedWriter, type TestDb, collect, keysFor, withDb } from './helpers.js'

let t: TestDb
const alice = new FeedWriter(keysFor(1), 1_500_000_000_000)
const bob = new FeedWriter(keysFor(2), 1_500_000_000_500)
const carol = new FeedWriter(keysFor(3), 1_500_000_000_700)
const blob = '&' + Buffer.alloc(32, 5).toString('base64') + '.sha256'
let all: KVT[] = []

beforeAll(async () => {
  t = await withDb({}, 9)
  const root = alice.next({ type: 'post', text: 'root' })
  alice.next({ type: 'contact', contact: bob.id, following: true })
  bob.next({ type: 'post', text: 'reply', root: root.key, branch: root.key, mentions: [{ link: alice.id, name: 'a' }, blob] })
  bob.next({ type: 'vote', vote: { link: root.key, value: 1 } })
  carol.next({ type: 'contact', contact: bob.id, blocking: true })
  alice.next({ type: 'contact', contact: bob.id, following: false })
  alice.next({ type: 'contact', contact: carol.id, following: true })
  carol.next({ type: 'post', text: 'future', root: root.key }, 4_000_000_000_000)
  carol.next({ type: 'contact', contact: alice.id, flagged: true })
  // interleave the feeds in log order
  const order = [alice, alice, bob, bob, carol, alice, alice, carol, carol]
  const idx = new Map<FeedWriter, number>()
  for (const w of order) {
    const i = idx.get(w) ?? 0
    idx.set(w, i + 1)
    all.push(await t.db.add(w.msgs[i]!.value))
  }
})
afterAll(async () => {
  await t.cleanup()
})

const keysOf = (xs: KVT[]): string[] => xs.map((x) => x.key)

describe('get', () => {
  test('value by default, KVT with meta', async () => {
    expect(await t.db.get(all[0]!.key)).toEqual(all[0]!.value)
    expect(await t.db.get({ id: all[0]!.key, meta: true })).toEqual(all[0])
  })
})

describe('createHistoryStream', () => {
  test('KVTs of one feed from seq (inclusive), keys/values forms, limit', async () => {
    const a = all.filter((k) => k.value.author === alice.id)
    expect(await collect(t.db.createHistoryStream({ id: alice.id }))).toEqual(a)
    expect(await collect(t.db.createHistoryStream({ id: alice.id, seq: 2 }))).toEqual(a.slice(1))
    expect(await collect(t.db.createHistoryStream({ id: alice.id, sequence: 3 }))).toEqual(a.slice(2))
    expect(await collect(t.db.createHistoryStream({ id: alice.id, seq: 0 }))).toEqual(a)
    expect(await collect(t.db.createHistoryStream({ id: alice.id, keys: false }))).toEqual(a.map((k) => k.value))
    expect(await collect(t.db.createHistoryStream({ id: alice.id, values: false }))).toEqual(keysOf(a))
    expect(await collect(t.db.createHistoryStream({ id: alice.id, limit: 2 }))).toEqual(a.slice(0, 2))
    expect(await collect(t.db.createHistoryStream({ id: alice.id, seq: 5 }))).toEqual([])
    expect(await collect(t.db.createHistoryStream({ id: keysFor(50).id }))).toEqual([])
    expect(await collect(t.db.createHistoryStream({ id: alice.id, old: false }))).toEqual([])
  })
})

describe('createUserStream', () => {
  test('sequence ranges, reverse, limit, keys/values', async () => {
    const a = all.filter((k) => k.value.author === alice.id)
    const s = (o: object): Promise<unknown[]> => collect(t.db.createUserStream({ id: alice.id, ...o }))
    expect(await s({})).toEqual(a)
    expect(await s({ gt: 1 })).toEqual(a.slice(1))
    expect(await s({ gte: 2, lte: 3 })).toEqual(a.slice(1, 3))
    expect(await s({ gt: 1, lt: 4 })).toEqual(a.slice(1, 3))
    expect(await s({ reverse: true })).toEqual([...a].reverse())
    expect(await s({ reverse: true, limit: 2, lt: 4 })).toEqual([a[2], a[1]])
    expect(await s({ values: false, gte: 4 })).toEqual([a[3]!.key])
    expect(await s({ keys: false, lte: 1 })).toEqual([a[0]!.value])
    expect(await s({ gt: 1.5, lt: 2.5 })).toEqual([a[1]])
    expect(await s({ gt: 4 })).toEqual([])
  })
})

describe('createLogStream', () => {
  test('receive-time order and ranges', async () => {
    expect(await collect(t.db.createLogStream())).toEqual(all)
    const ts = all.map((k) => k.timestamp)
    expect(await collect(t.db.createLogStream({ gt: ts[2] }))).toEqual(all.slice(3))
    expect(await collect(t.db.createLogStream({ gte: ts[2], lt: ts[5] }))).toEqual(all.slice(2, 5))
    expect(await collect(t.db.createLogStream({ lte: ts[1] }))).toEqual(all.slice(0, 2))
    expect(await collect(t.db.createLogStream({ reverse: true, limit: 3 }))).toEqual(all.slice(-3).reverse())
    expect(await collect(t.db.createLogStream({ keys: false, limit: 1 }))).toEqual([all[0]!.value])
    expect(await collect(t.db.createLogStream({ values: false }))).toEqual(keysOf(all))
    expect(await collect(t.db.createLogStream({ limit: 0 }))).toEqual([])
  })

  test('raw: the stored JSON of each message, byte for byte what the item stringifies to', async () => {
    const ts = all.map((k) => k.timestamp)
    const text = (x: unknown): string => (x instanceof RawJson ? Buffer.from(x.json).toString('utf8') : JSON.stringify(x))
    const cases = [{}, { gt: ts[2] }, { gte: ts[2], lt: ts[5] }, { reverse: true, limit: 3 }, { keys: false }, { values: false }, { private: true }]
    for (const o of cases) {
      const plain = await collect(t.db.createLogStream(o))
      const raw = await collect(t.db.createLogStream({ ...o, raw: true }))
      expect(raw.map(text)).toEqual(plain.map((x) => JSON.stringify(x)))
    }
    const raw = await collect(t.db.createLogStream({ raw: true }))
    expect(raw.every((x) => x instanceof RawJson)).toBe(true)
    const streams: Array<[string, (raw: boolean) => AsyncIterable<unknown>]> = [
      ['history', (raw) => t.db.createHistoryStream({ id: alice.id, raw })],
      ['history values', (raw) => t.db.createHistoryStream({ id: alice.id, seq: 2, keys: false, raw })],
      ['user', (raw) => t.db.createUserStream({ id: bob.id, reverse: true, raw })],
      ['user values', (raw) => t.db.createUserStream({ id: carol.id, keys: false, raw })],
      ['user keys', (raw) => t.db.createUserStream({ id: carol.id, values: false, raw })],
      ['type', (raw) => t.db.messagesByType({ type: 'contact', raw })],
      ['type range', (raw) => t.db.messagesByType({ type: 'contact', gt: ts[1], lte: ts[6], reverse: true, raw })],
      ['type values', (raw) => t.db.messagesByType({ type: 'post', keys: false, raw })],
    ]
    for (const [name, open] of streams) {
      const plain = await collect(open(false))
      const viaRaw = await collect(open(true))
      expect(viaRaw.map(text), name).toEqual(plain.map((x) => JSON.stringify(x)))
      if (name !== 'user keys') expect(viaRaw.some((x) => x instanceof RawJson), name).toBe(true)
    }
    // copies, not views of a reused read buffer
    expect(new Set(raw.map((x) => (x as RawJson).json.buffer)).size).toBe(raw.length)
  })
})

describe('createFeedStream', () => {
  test('orders by min(receive, claimed) time and adds value.rts', async () => {
    const withRts = all.map((k) => {
      const rts = k.value.timestamp <= k.timestamp ? k.value.timestamp : k.timestamp
      return { ...k, value: { ...k.value, rts } }
    })
    const sorted = [...withRts].sort((a, b) => a.value.rts - b.value.rts)
    const got = (await collect(t.db.createFeedStream())) as Array<KVT & { value: { rts: number } }>
    expect(got).toEqual(sorted)
    // carol's "future" post claims a time after its receive time: it sorts by receive time
    const future = got.find((k) => (k.value.content as { text?: string }).text === 'future')!
    expect(future.value.rts).toBe(future.timestamp)
    const mid = sorted[3]!.value.rts
    expect(await collect(t.db.createFeedStream({ gt: mid }))).toEqual(sorted.slice(4))
    expect(await collect(t.db.createFeedStream({ gte: mid, lte: sorted[5]!.value.rts }))).toEqual(sorted.slice(3, 6))
    expect(await collect(t.db.createFeedStream({ lt: mid, reverse: true }))).toEqual(sorted.slice(0, 3).reverse())
    expect(await collect(t.db.createFeedStream({ keys: false, limit: 1 }))).toEqual([sorted[0]!.value])
    expect(await collect(t.db.createFeedStream({ values: false, limit: 2 }))).toEqual(keysOf(sorted.slice(0, 2)))
  })
})

describe('messagesByType', () => {
  test('type, string form, receive-time ranges, reverse, limit', async () => {
    const contacts = all.filter((k) => (k.value.content as { type: string }).type === 'contact')
    expect(contacts).toHaveLength(5)
    expect(await collect(t.db.messagesByType('contact'))).toEqual(contacts)
    expect(await collect(t.db.messagesByType({ type: 'contact', reverse: true, limit: 2 }))).toEqual(contacts.slice(-2).reverse())
    expect(await collect(t.db.messagesByType({ type: 'contact', gt: contacts[1]!.timestamp }))).toEqual(contacts.slice(2))
    expect(await collect(t.db.messagesByType({ type: 'contact', gte: contacts[1]!.timestamp, lt: contacts[3]!.timestamp }))).toEqual(
      contacts.slice(1, 3),
    )
    expect(await collect(t.db.messagesByType({ type: 'contact', keys: false, lte: contacts[0]!.timestamp }))).toEqual([contacts[0]!.value])
    expect(await collect(t.db.messagesByType({ type: 'vote', values: false }))).toEqual([all[3]!.key])
    expect(await collect(t.db.messagesByType('nothing'))).toEqual([])
    expect(() => t.db.messagesByType({} as never)).toThrow(expect.objectContaining({ code: 'DB_INVALID_ARGUMENT' }))
  })
})

describe('links', () => {
  const root = (): string => all[0]!.key
  const reply = (): KVT => all[2]!

  test('backlinks to a message (dest), rel filter, values', async () => {
    const rows = await collect(t.db.links({ dest: root() }))
    // ordered by (dest, rel, source, sequence); `vote: {link}` is a top-level link object too
    const roots = [
      { source: bob.id, kvt: reply() },
      { source: carol.id, kvt: all[7]! },
    ].sort((x, y) => (x.source < y.source ? -1 : 1))
    const rootRow = (i: number): object => ({ source: roots[i]!.source, rel: 'root', dest: root(), key: roots[i]!.kvt.key })
    expect(rows).toEqual([
      { source: bob.id, rel: 'branch', dest: root(), key: reply().key },
      rootRow(0),
      rootRow(1),
      { source: bob.id, rel: 'vote', dest: root(), key: all[3]!.key },
    ])
    expect(await collect(t.db.links({ dest: root(), rel: 'root', values: true }))).toEqual([
      { ...rootRow(0), value: roots[0]!.kvt.value },
      { ...rootRow(1), value: roots[1]!.kvt.value },
    ])
    expect(await collect(t.db.links({ dest: root(), rel: 'root', reverse: true, keys: false }))).toEqual([
      { source: roots[1]!.source, rel: 'root', dest: root() },
      { source: roots[0]!.source, rel: 'root', dest: root() },
    ])
    expect(await collect(t.db.links({ dest: root(), rel: 'root', meta: false }))).toEqual(roots.map((r) => r.kvt.key))
    expect(await collect(t.db.links({ dest: root(), rel: 'root', meta: false, values: true, limit: 1 }))).toEqual([
      { key: roots[0]!.kvt.key, value: roots[0]!.kvt.value },
    ])
    expect(await collect(t.db.links({ dest: root(), rel: 'root', meta: false, keys: false, values: true, limit: 1 }))).toEqual([
      roots[0]!.kvt.value,
    ])
  })

  test('links from a source; arrays and {link} objects; sigil prefixes', async () => {
    const fromBob = await collect(t.db.links({ source: bob.id }))
    expect(fromBob).toEqual([
      { source: bob.id, rel: 'branch', dest: root(), key: reply().key },
      { source: bob.id, rel: 'mentions', dest: blob, key: reply().key },
      { source: bob.id, rel: 'mentions', dest: alice.id, key: reply().key },
      { source: bob.id, rel: 'root', dest: root(), key: reply().key },
      { source: bob.id, rel: 'vote', dest: root(), key: all[3]!.key },
    ])
    expect(await collect(t.db.links({ source: bob.id, dest: '&' }))).toEqual([fromBob[1]])
    expect(await collect(t.db.links({ source: bob.id, dest: 'feed' }))).toEqual([fromBob[2]])
    expect(await collect(t.db.links({ source: bob.id, rel: 'mentions', dest: alice.id }))).toEqual([fromBob[2]])
    expect(await collect(t.db.links({ source: '@', dest: bob.id, rel: 'contact' }))).toHaveLength(3)
    const toFeeds = await collect(t.db.links({ dest: '@', rel: 'contact' }))
    expect(toFeeds.map((r) => (r as { dest: string }).dest).sort()).toEqual([alice.id, bob.id, bob.id, bob.id, carol.id].sort())
    const everything = await collect(t.db.links({}))
    expect(everything.length).toBe(3 + 5 + 3)
    expect(() => t.db.links({ meta: false, keys: false })).toThrow(expect.objectContaining({ code: 'DB_INVALID_ARGUMENT' }))
  })
})

describe('contacts', () => {
  test('latest contact message per (author, contact) wins; weights follow/unfollow/block', async () => {
    expect(await t.db.getContacts()).toEqual({
      [alice.id]: { [bob.id]: -2, [carol.id]: 1 },
      [carol.id]: { [bob.id]: -1, [alice.id]: -1 },
    })
    const edges = await collect(t.db.contactEdges())
    expect(edges).toHaveLength(4)
    expect(edges).toContainEqual({ source: alice.id, dest: carol.id, value: 1 })
  })
})

describe('latest', () => {
  test('one item per feed', async () => {
    const items = await collect(t.db.latest())
    const byId = Object.fromEntries(items.map((i) => [i.id, i]))
    expect(byId[alice.id]).toEqual({ id: alice.id, sequence: 4, ts: (alice.msgs[3]!.value as MsgValue).timestamp })
    expect(Object.keys(byId).sort()).toEqual([alice.id, bob.id, carol.id].sort())
  })
})

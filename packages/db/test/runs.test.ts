import type { KVT } from '@ssb/feed'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { FeedWriter, type TestDb, collect, keysFor, withDb } from './helpers.js'

// Sequence and type entries are packed into runs (one per feed / type per index batch): these
// queries cross run boundaries of many sizes, against the log stream as the oracle.
let t: TestDb
let log: KVT[]
const writers = [new FeedWriter(keysFor(91)), new FeedWriter(keysFor(92)), new FeedWriter(keysFor(93))]
const typeOf = (k: KVT): string => (k.value.content as { type: string }).type

beforeAll(async () => {
  t = await withDb({ sync: 'none' })
  const msgs = writers.map((w) => w.many(400, (i) => ({ type: i % 3 === 0 ? 'vote' : 'post', n: i })))
  const pos = [0, 0, 0]
  for (const size of [1, 7, 300, 2, 150, 1, 600, 33, 90]) {
    const batch = []
    for (let k = 0; k < size; k++) {
      const f = (k + size) % 3
      if (pos[f]! < 400) batch.push(msgs[f]![pos[f]!++]!)
    }
    await t.db.addBatch(batch)
  }
  for (let f = 0; f < 3; f++) while (pos[f]! < 400) await t.db.add(msgs[f]![pos[f]!++]!)
  log = (await collect(t.db.createLogStream())) as KVT[]
  expect(log).toHaveLength(1200)
}, 60_000)
afterAll(async () => {
  await t.cleanup()
})

describe('queries across runs', () => {
  test('history and user streams', async () => {
    for (const w of writers) {
      const mine = log.filter((k) => k.value.author === w.id)
      expect(mine.map((k) => k.value.sequence)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1))
      expect(await collect(t.db.createHistoryStream({ id: w.id }))).toEqual(mine)
      expect(await collect(t.db.createHistoryStream({ id: w.id, seq: 137, limit: 50 }))).toEqual(mine.slice(136, 186))
      expect(await collect(t.db.createUserStream({ id: w.id, gt: 150, lt: 333 }))).toEqual(mine.slice(150, 332))
      expect(await collect(t.db.createUserStream({ id: w.id, gte: 10, lte: 390, reverse: true, limit: 77 }))).toEqual(
        mine.slice(9, 390).reverse().slice(0, 77),
      )
    }
  })

  test('createFeedStream: claimed-time order is not log order (reads out of offset order)', async () => {
    const rts = (k: KVT): number => Math.min(k.value.timestamp, k.timestamp)
    const sorted = log.map((k, i) => ({ k, i })).sort((a, b) => rts(a.k) - rts(b.k) || a.i - b.i).map((x) => x.k.key)
    expect(sorted).not.toEqual(log.map((k) => k.key))
    const got = (await collect(t.db.createFeedStream({ keys: false }))) as Array<KVT['value'] & { rts: number }>
    expect(got.map((v) => log.find((k) => k.value.signature === v.signature)!.key)).toEqual(sorted)
    expect(await collect(t.db.createFeedStream({ values: false, reverse: true }))).toEqual([...sorted].reverse())
  })

  test('messagesByType with receive-time ranges, reverse and limits', async () => {
    const votes = log.filter((k) => typeOf(k) === 'vote')
    expect(await collect(t.db.messagesByType('vote'))).toEqual(votes)
    expect(await collect(t.db.messagesByType({ type: 'vote', reverse: true }))).toEqual([...votes].reverse())
    for (const [a, b] of [
      [3, 9],
      [100, 101],
      [250, 390],
      [0, 400],
    ] as const) {
      const lo = votes[a]!.timestamp
      const hi = votes[Math.min(b, votes.length - 1)]!.timestamp
      const inRange = votes.filter((k) => k.timestamp >= lo && k.timestamp < hi)
      expect(await collect(t.db.messagesByType({ type: 'vote', gte: lo, lt: hi }))).toEqual(inRange)
      expect(await collect(t.db.messagesByType({ type: 'vote', gte: lo, lt: hi, reverse: true, limit: 5 }))).toEqual(
        [...inRange].reverse().slice(0, 5),
      )
    }
    expect(await t.db.verifyIndexes()).toEqual([])
  })
})

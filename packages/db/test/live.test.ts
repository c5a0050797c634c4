import type { KVT } from '@ssb/feed'
import { afterEach, describe, expect, test } from 'vitest'
import { FeedWriter, type TestDb, collect, keysFor, take, withDb } from './helpers.js'

let t: TestDb
afterEach(async () => {
  await t?.cleanup()
})

describe('live streams', () => {
  test('history stream: old then live, keys:false like legacy replication', async () => {
    t = await withDb()
    const first = await t.db.publish({ type: 'post', text: '1' })
    const it = t.db.createHistoryStream({ id: t.db.id, live: true, keys: false })[Symbol.asyncIterator]()
    expect((await it.next()).value).toEqual(first.value)
    const pending = it.next()
    const second = await t.db.publish({ type: 'post', text: '2' })
    expect((await pending).value).toEqual(second.value)
    await it.return!()
  })

  test('old:false gives only new messages; limit counts old and live', async () => {
    t = await withDb()
    await t.db.publish({ type: 'post' })
    const onlyNew = take(t.db.createLogStream({ old: false, live: true, values: false }), 2)
    const limited = collect(t.db.createLogStream({ live: true, limit: 2, values: false }))
    const a = await t.db.publish({ type: 'post' })
    const b = await t.db.publish({ type: 'post' })
    expect(await onlyNew).toEqual([a.key, b.key])
    expect((await limited)[1]).toBe(a.key)
  })

  test('every query kind delivers matching live messages and nothing else', async () => {
    t = await withDb()
    const w = new FeedWriter(keysFor(4))
    const root = await t.db.publish({ type: 'post', text: 'root' })
    const streams = {
      user: take(t.db.createUserStream({ id: w.id, live: true, gte: 2 }), 1),
      type: take(t.db.messagesByType({ type: 'vote', live: true, keys: false }), 1),
      feed: take(t.db.createFeedStream({ live: true, old: false }), 3),
      links: take(t.db.links({ dest: root.key, live: true, values: true }), 1),
      edges: take(t.db.contactEdges({ live: true }), 1),
    }
    const [m1, m2, m3] = [
      w.next({ type: 'post', text: 'not a vote' }).value,
      w.next({ type: 'vote', vote: { link: root.key, value: 1 } }).value,
      w.next({ type: 'contact', contact: t.db.id, following: true }).value,
    ]
    await t.db.addBatch([m1, m2, m3])
    const got = await Promise.all(Object.values(streams))
    const [user, type, feed, links, edges] = got as [KVT[], unknown[], KVT[], unknown[], unknown[]]
    expect(user.map((k) => k.value)).toEqual([m2])
    expect(type).toEqual([m2])
    expect(feed.map((k) => k.value.sequence)).toEqual([1, 2, 3])
    expect((feed[0]!.value as unknown as { rts: number }).rts).toBe(m1.timestamp)
    expect(links).toEqual([{ source: w.id, rel: 'vote', dest: root.key, key: (feed[1] as KVT).key, value: m2 }])
    expect(edges).toEqual([{ source: w.id, dest: t.db.id, value: 1 }])
  })

  test('no message is missed or repeated when streams start while writes are in flight', async () => {
    t = await withDb({ sync: 'none' })
    const writers = [new FeedWriter(keysFor(31)), new FeedWriter(keysFor(32)), new FeedWriter(keysFor(33))]
    const batches = writers.map((w) => w.many(100))
    const total = 3 * 100 + 50
    const streams: Array<Promise<string[]>> = []
    const writes: Array<Promise<unknown>> = []
    for (let i = 0; i < 100; i++) {
      for (let f = 0; f < 3; f++) writes.push(t.db.add(batches[f]![i]!))
      if (i % 2 === 0) writes.push(t.db.publish({ type: 'post', text: String(i) }))
      if (i % 10 === 0) {
        // started at different moments: each must see all `total` messages exactly once
        streams.push(take(t.db.createLogStream({ live: true, values: false }), total) as Promise<string[]>)
        streams.push(take(t.db.createFeedStream({ live: true, values: false }), total) as Promise<string[]>)
      }
      if (i % 5 === 0) await writes[writes.length - 1]
    }
    await Promise.all(writes)
    const expected = (await collect(t.db.createLogStream({ values: false }))) as string[]
    expect(expected).toHaveLength(total)
    for (const s of await Promise.all(streams)) {
      expect(new Set(s).size).toBe(total)
      expect([...s].sort()).toEqual([...expected].sort())
    }
  })

  test('abort ends a live stream with the abort reason; close ends it cleanly', async () => {
    t = await withDb()
    const ac = new AbortController()
    const aborted = collect(t.db.createLogStream({ live: true, signal: ac.signal }))
    await t.db.publish({ type: 'post' })
    ac.abort(new Error('stop'))
    await expect(aborted).rejects.toThrow('stop')
    const open = collect(t.db.createHistoryStream({ id: t.db.id, live: true }))
    await t.db.publish({ type: 'post' })
    const [n] = await Promise.all([open.then((xs) => xs.length), t.db.close()])
    expect(n).toBeGreaterThanOrEqual(1)
  })

  test('onMessage sees each stored message once, after indexing', async () => {
    t = await withDb()
    const seen: string[] = []
    const off = t.db.onMessage((kvt) => seen.push(kvt.key))
    const a = await t.db.publish({ type: 'post' })
    await collect(t.db.createLogStream())
    off()
    await t.db.publish({ type: 'post' })
    await collect(t.db.createLogStream())
    expect(seen).toEqual([a.key])
  })

  test('onMessage listeners share one frozen copy: none can change what another sees', async () => {
    t = await withDb()
    const got: KVT[][] = [[], []]
    const offs = got.map((list) => t.db.onMessage((kvt) => list.push(kvt)))
    const a = await t.db.publish({ type: 'post', text: 'hi', nested: { x: [1] } })
    await collect(t.db.createLogStream())
    for (const off of offs) off()
    expect(got[0]![0]).toBe(got[1]![0])
    const kvt = got[0]![0]!
    expect(kvt).toEqual(a)
    expect(() => {
      ;(kvt.value.content as { nested: { x: number[] } }).nested.x.push(2)
    }).toThrow(TypeError)
    // Queries still hand out their own, mutable copies.
    const [fromQuery] = await collect(t.db.createLogStream({ limit: 1 }))
    expect(Object.isFrozen(fromQuery)).toBe(false)
  })
})

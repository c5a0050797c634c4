import type { KVT } from '@ssb/feed'
import { afterEach, describe, expect, test } from 'vitest'
import { backlinkRowsOf, createBacklinks, createLinks2, links2RowsOf } from '../src/index.js'
import { Writer, collect, tempDb } from './helpers.js'

const A = '@' + 'A'.repeat(43) + '=.ed25519'
const M = '%' + 'M'.repeat(43) + '=.sha256'
const B = '&' + 'Q'.repeat(43) + '=.sha256'

const kvt = (content: unknown, author = A): KVT =>
  ({ key: M, timestamp: 5, value: { previous: null, author, sequence: 1, timestamp: 4, hash: 'sha256', content, signature: 'x' } }) as unknown as KVT

describe('link rows (ssb-links 3 links.js)', () => {
  test('rel carries the link details', () => {
    expect(links2RowsOf(kvt({ type: 'vote', vote: { link: M, value: 1 } }))).toEqual([{ source: A, dest: M, rel: ['vote', 1], ts: 5 }])
    expect(links2RowsOf(kvt({ type: 'post', mentions: [{ link: A, name: 'Bob' }, { link: B, name: 'x.png', size: 3 }, M] }))).toEqual([
      { source: A, dest: A, rel: ['mentions', '@bob'], ts: 5 },
      { source: A, dest: B, rel: ['mentions', 'x.png', 3], ts: 5 },
      { source: A, dest: M, rel: ['mentions'], ts: 5 },
    ])
    expect(links2RowsOf(kvt({ type: 'contact', contact: A, following: true }))).toEqual([{ source: A, dest: A, rel: ['contact', true, undefined], ts: 5 }])
    expect(links2RowsOf(kvt({ type: 'about', about: A, name: 'me' }))).toEqual([{ source: A, dest: A, rel: ['about', 'me'], ts: 5 }])
    expect(links2RowsOf(kvt({ type: 'flag', flag: { link: A, reason: { spam: true } } }))).toEqual([{ source: A, dest: A, rel: ['flag', '{"spam":true}'], ts: 5 }])
  })
  test('content without a type: the message value itself is searched (author, previous…)', () => {
    const rows = links2RowsOf(kvt('boxed.box'))
    expect(rows).toEqual([{ source: A, dest: A, rel: ['author'], ts: 5 }])
  })
})

describe('backlink rows (ssb-backlinks emit-links.js)', () => {
  test('every distinct ref anywhere in the content, and #channels', () => {
    const rows = backlinkRowsOf(kvt({ type: 'post', channel: 'my chan', deep: { list: [{ x: M }, M, 'not a ref'] }, about: A, tag: '#tag' }))
    expect(rows.map((r) => r.dest)).toEqual(['#mychan', M, A, '#tag'])
    expect(rows[0]).toMatchObject({ key: M, dest: '#mychan' })
  })
})

describe('reads on a store', () => {
  let store: Awaited<ReturnType<typeof tempDb>> | undefined
  afterEach(async () => {
    await store?.close()
    store = undefined
  })

  test('backlinks.read by dest (DTS), by type + dest (TDT), live', async () => {
    store = await tempDb(3)
    const w = new Writer(31)
    const x = new Writer(32)
    const target = w.next({ type: 'post', text: 'target' }, 100)
    const ids: string[] = []
    await store.db.add(target)
    const targetId = ((await collect(store.db.createLogStream({ keys: true, values: false }))) as string[])[0]!
    for (let i = 0; i < 6; i++) {
      const v = (i % 2 ? w : x).next({ type: i % 3 === 0 ? 'vote' : 'post', nested: { ref: targetId }, i }, 200 - i)
      const stored = await store.db.add(v)
      ids.push(stored.key)
    }
    const backlinks = createBacklinks(store.db)
    const byDest = await collect(backlinks.read({ query: [{ $filter: { dest: targetId } }] }))
    expect(byDest.map((m) => (m as KVT).key)).toEqual(ids)
    expect(byDest.every((m) => (m as { dest: string }).dest === targetId)).toBe(true)
    // TDT: (type, dest, claimed time): votes first, each group by claimed time (descending i)
    const byType = await collect(backlinks.read({ query: [{ $filter: { value: { content: { type: { $gt: '' } } }, dest: targetId } }] }))
    expect(byType.map((m) => ((m as KVT).value.content as { i: number }).i)).toEqual([5, 4, 2, 1, 3, 0])
    const reversed = await collect(backlinks.read({ query: [{ $filter: { dest: targetId } }], reverse: true, limit: 2 }))
    expect(reversed.map((m) => (m as KVT).key)).toEqual([ids[5], ids[4]])

    const live = backlinks.read({ query: [{ $filter: { dest: targetId } }], live: true })[Symbol.asyncIterator]()
    const got: unknown[] = []
    for (let i = 0; i < 7; i++) got.push((await live.next()).value)
    expect(got[6]).toEqual({ sync: true })
    const later = await store.db.add(w.next({ type: 'post', root: targetId }, 300))
    const next = (await live.next()).value as KVT & { dest: string }
    expect(next.key).toBe(later.key)
    await live.return?.(undefined)
  })

  test('links2.read by source reads only that feed, rows sorted by (source, rel, dest)', async () => {
    store = await tempDb(4)
    const w = new Writer(41)
    const o = new Writer(42)
    await store.db.add(o.next({ type: 'vote', vote: { link: M, value: 1 } }, 1))
    await store.db.add(w.next({ type: 'vote', vote: { link: M, value: -1 } }, 1))
    await store.db.add(w.next({ type: 'post', mentions: [{ link: o.id, name: 'O' }], root: M }, 2))
    await store.db.add(w.next({ type: 'vote', vote: { link: M, value: 1 } }, 3))
    const links2 = createLinks2(store.db)
    const rows = (await collect(links2.read({ query: [{ $filter: { source: w.id } }] }))) as Array<{ rel: unknown[] }>
    expect(rows.map((r) => r.rel)).toEqual([['mentions', '@o'], ['root'], ['vote', -1], ['vote', 1]])
    const votes = await collect(links2.read({ query: [{ $filter: { dest: M, rel: ['vote', { $gt: 0 }] } }, { $map: 'source' }] }))
    expect(votes.sort()).toEqual([o.id, w.id].sort())
    await expect(async () => collect(links2.read({ query: [{ $filter: {} }, { $sort: ['nope'] }] }))).rejects.toThrow(/could not sort/)
  })
})

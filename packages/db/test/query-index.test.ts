import fc from 'fast-check'
import { afterEach, describe, expect, test } from 'vitest'
import { charwise, compareKeys, type Db, type IndexItem, type IndexReadOptions, RAW_JSON, RawJson, SLICES, type Sliced } from '../src/index.js'
import { FeedWriter, type TestDb, collect, keysFor, take, withDb } from './helpers.js'

describe('charwise (the reference index key encoding)', () => {
  // Vectors produced by charwise 3.0.1 itself (the version flumeview-level 4 uses).
  const vectors: Array<[unknown[], string]> = [
    [['typ', 'post', 1600000000000], 'KJtyp"Jpost"FE512M1.600000000000000000000!'],
    [[null], 'KA!'],
    [[true, false], 'KC"B!'],
    [['a b', 'a!', 'a"c', 'a?b!'], 'KJa b"Ja??"Ja?%c"Ja?@b??!'],
    [[-1.5, 0, 1e-7, -1e21, 123456789.125], 'KDE499M8.499999999999999999999"FE  0M0"FE493M1.00000000000000000000"DE478M8.99999999999999999999"FE508M1.2345678912500000000000000000000!'],
    [[['x', [1]], undefined], 'KKJx"KFE500M1.00000000000000000000!!"L!'],
    [['\x00\x01z'], 'KJ\x01\x01\x01z!'],
  ]
  test.each(vectors)('%j', (value, encoded) => {
    expect(charwise(value)).toBe(encoded)
  })
  test('numbers from 1 up (the fast path) encode as charwise 3 does', () => {
    // charwise 3.0.1's number encoding, as published, for comparison.
    const reference = (n: number): string => {
      const [m, e] = n.toExponential().split('e') as [string, string]
      const exponent = String(Number(e) + 500)
      return 'FE' + ' '.repeat(Math.max(0, 3 - exponent.length)) + exponent + 'M' + m + (m.includes('.') ? '' : '.') + '00000000000000000000'
    }
    for (const n of [1, 7, 10, 100, 1000000, 1600000000000, 1600000000300, 1764100000123, Number.MAX_SAFE_INTEGER]) expect(charwise(n)).toBe(reference(n))
    fc.assert(fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (n) => charwise(n) === reference(n)), { numRuns: 5000 })
    fc.assert(fc.property(fc.nat({ max: 9 }), fc.nat({ max: 15 }), (d, zeros) => charwise((d + 1) * 10 ** zeros) === reference((d + 1) * 10 ** zeros)))
    for (const n of [1.5, 1600000000000.123, 1600000000000.001, 123456789.125, 9.999999999999999e20, 1e20, 2.5e15 + 0.5]) expect(charwise(n)).toBe(reference(n))
    fc.assert(fc.property(fc.double({ min: 1, max: 1e21, noNaN: true }), (n) => n >= 1e21 || charwise(n) === reference(n)), { numRuns: 5000 })
  })
  test('objects have no encoding', () => {
    expect(charwise([{ a: 1 }])).toBeNull()
  })
  test('encoded order is typewise: null < false < true < numbers < strings < arrays < undefined', () => {
    const values = [undefined, ['a'], 'b', 2, -3, true, null, false, 1.5, 'a b', 'a']
    const sorted = [...values].sort((a, b) => compareKeys(charwise([a])!, charwise([b])!))
    expect(sorted).toEqual([null, false, true, -3, 1.5, 2, 'a b', 'a', 'b', ['a'], undefined])
  })
})

describe('readIndex', () => {
  let t: TestDb
  afterEach(async () => {
    await t?.cleanup()
  })

  async function load(db: Db): Promise<{ a: FeedWriter; b: FeedWriter }> {
    const a = new FeedWriter(keysFor(21))
    const b = new FeedWriter(keysFor(22))
    const values = []
    for (let i = 0; i < 30; i++) {
      const w = i % 2 === 0 ? a : b
      // both feeds claim the same timestamps: equal (type, claimed time) tuples collide
      const content: Record<string, unknown> = { type: i % 3 === 0 ? 'vote' : 'post', i }
      if (i % 4 === 0) content.channel = i % 8 === 0 ? 'x y' : 'x'
      values.push(w.next(content, 1000 + Math.floor(i / 2)).value)
    }
    await db.addBatch(values)
    return { a, b }
  }
  const keysOf = (items: IndexItem[]): unknown[] => items.map((x) => ('key' in x ? (x.value.content as { i: number }).i : 'sync'))

  test('stored indexes read in tuple order with one message per equal tuple (the later one)', async () => {
    t = await withDb()
    await load(t.db)
    const items = await collect(t.db.readIndex({ index: 'tya', gte: ['post', 1003], lte: ['post', 1006] }))
    // claimed times 1003..1006 belong to i=6..13 in pairs; posts among them: 7, 8, 10, 11, 13,
    // and 10 and 11 share (post, 1005): only the later, 11, is in the index
    expect(keysOf(items)).toEqual([7, 8, 11, 13])
    const rev = await collect(t.db.readIndex({ index: 'tya', gte: ['post', 1003], lte: ['post', 1006], reverse: true }))
    expect(keysOf(rev)).toEqual([13, 11, 8, 7])
    for (const x of items) expect('rts' in x && x.rts).toBe((x as { value: { timestamp: number } }).value.timestamp)
  })

  test('erasing the message that holds a tuple gives it back to the latest earlier one; erasing an overwritten one changes nothing', async () => {
    t = await withDb()
    const { a, b } = await load(t.db)
    const tya = async () => keysOf(await collect(t.db.readIndex({ index: 'tya', gte: ['post', 1003], lte: ['post', 1006] })))
    // (post, 1005) is 10 (a) and 11 (b): erasing b hands it back to 10
    await t.db.erase(b.id)
    expect(await tya()).toEqual([8, 10])
    expect(await t.db.verifyIndexes()).toEqual([])
    // a later message with an equal tuple takes it over; erasing 10 (no longer the holder) leaves it
    const c = new FeedWriter(keysFor(23))
    const late = c.next({ type: 'post', i: 99 }, 1005)
    await t.db.add(late.value)
    expect(await tya()).toEqual([8, 99])
    await t.db.del(a.msgs[5]!.key)
    expect(await tya()).toEqual([8, 99])
    // erasing the holder again: 10 and 11 are gone, so the tuple goes
    await t.db.del(late.key)
    expect(await tya()).toEqual([8])
    // (verifyIndexes would now report c's latest state, which del leaves as ssb-db does)
    const db = await t.reopen()
    expect(keysOf(await collect(db.readIndex({ index: 'tya', gte: ['post', 1003], lte: ['post', 1006] })))).toEqual([8])
  })

  test('SLICES: the same items as one by one, in slices; limit cuts inside a slice; live items come one per slice', async () => {
    t = await withDb()
    const { a } = await load(t.db)
    const slices = async (src: AsyncIterable<unknown>): Promise<unknown[][]> => {
      const out: unknown[][] = []
      const it = (src as Sliced<unknown>)[SLICES]()
      for (let r = await it.next(); !r.done; r = await it.next()) out.push([...r.value])
      return out
    }
    for (const opts of [{ index: 'log', gte: [], lte: [] }, { index: 'typ', gte: ['post'], lte: ['post'], reverse: true }, { index: 'tya', gte: ['post', null], lte: ['post', undefined] }] as IndexReadOptions[]) {
      const got = await slices(t.db.readIndex(opts))
      expect(got.flat()).toEqual(await collect(t.db.readIndex(opts)))
      expect(got.every((x) => x.length > 0)).toBe(true)
    }
    const limited = await slices(t.db.createLogStream({ limit: 7 }))
    expect(limited.flat()).toEqual(await collect(t.db.createLogStream({ limit: 7 })))
    expect(limited.flat()).toHaveLength(7)
    const live = (t.db.readIndex({ index: 'typ', gte: ['vote'], lte: ['vote'], live: true, old: false }) as Sliced<IndexItem>)[SLICES]()
    const first = live.next()
    await t.db.add(a.next({ type: 'vote', i: 100 }).value)
    const r = await first
    expect(r.done).toBe(false)
    expect(keysOf(r.value as IndexItem[])).toEqual([100])
    await live.return?.(undefined)
  })

  test('channels order by charwise: "x y" before "x"', async () => {
    t = await withDb()
    await load(t.db)
    const items = await collect(t.db.readIndex({ index: 'cha', gte: [null], lte: [undefined] }))
    expect(keysOf(items)).toEqual([0, 8, 16, 24, 4, 12, 20, 28])
  })

  test('typ, clk and log answer from the existing indexes with exact bounds', async () => {
    t = await withDb()
    const { a } = await load(t.db)
    expect(keysOf(await collect(t.db.readIndex({ index: 'typ', gte: ['vote'], lte: ['vote'] })))).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27])
    expect(keysOf(await collect(t.db.readIndex({ index: 'typ', gte: ['p'], lte: ['q'] })))).toHaveLength(20)
    expect(keysOf(await collect(t.db.readIndex({ index: 'clk', gte: [a.id, 3], lte: [a.id, 5], reverse: true })))).toEqual([8, 6, 4])
    const all = await collect(t.db.readIndex({ index: 'log', gte: [], lte: [] }))
    expect(keysOf(all)).toEqual(Array.from({ length: 30 }, (_, i) => i))
  })

  test('live: old part, sync marker, then new messages in range only', async () => {
    t = await withDb()
    const { a } = await load(t.db)
    const it = t.db.readIndex({ index: 'aty', gte: [a.id, 'vote', null], lte: [a.id, 'vote', undefined], live: true, sync: true })
    const got = take(it, 7)
    await new Promise((r) => setTimeout(r, 50))
    await t.db.add(a.next({ type: 'post', i: 100 }).value)
    await t.db.add(a.next({ type: 'vote', i: 101 }).value)
    expect(keysOf(await got)).toEqual([0, 6, 12, 18, 24, 'sync', 101])
  })

  test('entries survive a rebuild and verifyIndexes checks them', async () => {
    t = await withDb()
    await load(t.db)
    expect(await t.db.verifyIndexes()).toEqual([])
    const before = await collect(t.db.readIndex({ index: 'ata', gte: [], lte: [] }))
    await t.reopen()
    expect(await collect(t.db.readIndex({ index: 'ata', gte: [], lte: [] }))).toEqual(before)
  })

  test('raw: old items as the exact JSON of the items (the stored bytes, unparsed), prefiltered', async () => {
    t = await withDb()
    const { a } = await load(t.db)
    const text = (x: unknown): string => (x instanceof RawJson ? Buffer.from(x.json).toString('utf8') : JSON.stringify(x))
    const reads: IndexReadOptions[] = [
      { index: 'typ', gte: ['vote'], lte: ['vote'] },
      { index: 'typ', gte: ['p'], lte: ['q'], reverse: true },
      { index: 'aty', gte: [a.id, 'vote', null], lte: [a.id, 'vote', undefined] },
      { index: 'tya', gte: ['post', 1003], lte: ['post', 1006] },
      { index: 'clk', gte: [a.id, 3], lte: [a.id, 5] },
      { index: 'cha', gte: [null], lte: [undefined] },
    ]
    let raws = 0
    for (const r of reads) {
      const plain = await collect(t.db.readIndex(r))
      const raw = await collect(t.db.readIndex({ ...r, raw: true }))
      raws += raw.filter((x) => x instanceof RawJson).length
      expect(raw.map(text)).toEqual(plain.map((x) => JSON.stringify(x)))
      expect(raw.map((x) => JSON.parse(text(x)))).toEqual(plain)
      const odd = { fields: [['value', 'content', 'i']], test: (m: Record<string, unknown>) => ((m as { value: { content: { i: number } } }).value.content.i & 1) === 1 }
      const filtered = await collect(t.db.readIndex({ ...r, raw: true, where: odd }))
      expect(filtered.map(text)).toEqual(plain.filter((x) => odd.test(x as never)).map((x) => JSON.stringify(x)))
    }
    expect(raws).toBeGreaterThanOrEqual(20)
    // the transport's view: its RAW_JSON bytes
    const [first] = await collect(t.db.readIndex({ index: 'typ', gte: ['vote'], lte: ['vote'], raw: true }))
    expect((first as unknown as Record<symbol, Uint8Array>)[RAW_JSON]).toBe((first as RawJson).json)
  })

  test('bad arguments are typed errors', async () => {
    t = await withDb()
    expect(() => t.db.readIndex({ index: 'nope' as 'log', gte: [], lte: [] })).toThrow(/unknown index/)
    expect(() => t.db.readIndex({ index: 'tya', gte: [{ a: 1 }], lte: [] })).toThrow(/scalars or arrays/)
  })
})

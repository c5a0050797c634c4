import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { type FeedState, type KVT, type MsgValue, createMessage } from '@ssb/feed'
import fc from 'fast-check'
import { expect, test } from 'vitest'
import { type Db, openDb } from '../src/index.js'
import { collect, keysFor, makeTempDir, removeDir } from './helpers.js'
import { Model, type ModelMsg } from './model.js'

type Obj = Record<string, unknown>
const fakeBox = (content: object, readers: string[]): string =>
  Buffer.from(JSON.stringify({ readers, content })).toString('base64') + '.box'

const linkArb = fc.record({
  rel: fc.constantFrom('root', 'branch', 'mentions', 'vote', 'contact', 'about', 'ä', 'Z'),
  target: fc.nat(1000),
  kind: fc.constantFrom('msg', 'feed', 'blob', 'obj', 'arr', 'junk'),
})
const contentArb = fc.record({
  type: fc.constantFrom('post', 'vote', 'contact', 'about', 'ünï', '\u{1F600}xy', 'p\u0000x'),
  links: fc.array(linkArb, { maxLength: 3 }),
  contact: fc.option(fc.record({ target: fc.nat(5), following: fc.option(fc.boolean()), blocking: fc.option(fc.boolean()) })),
  private: fc.constantFrom('no', 'no', 'no', 'me', 'other'),
  claimed: fc.constantFrom('past', 'past', 'future', 'zero', 'negative', 'fraction'),
})
type ContentSpec = typeof contentArb extends fc.Arbitrary<infer T> ? T : never
const actionArb = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('add' as const), feed: fc.nat(3), content: contentArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('publish' as const), content: contentArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('batch' as const),
      items: fc.array(fc.record({ feed: fc.nat(3), content: contentArb, bad: fc.boolean() }), { maxLength: 8 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('gap' as const, 'fork' as const, 'badsig' as const, 'dup' as const), feed: fc.nat(3) }) },
)
const boundArb = fc.option(fc.record({ incl: fc.boolean(), frac: fc.double({ min: 0, max: 1, noNaN: true }), jitter: fc.constantFrom(-1, 0, 0, 1) }))
const fmtArb = { keys: fc.option(fc.boolean(), { nil: undefined }), values: fc.option(fc.boolean(), { nil: undefined }) }
const orderArb = { reverse: fc.option(fc.boolean(), { nil: undefined }), limit: fc.option(fc.nat(6), { nil: undefined }), private: fc.option(fc.boolean(), { nil: undefined }) }
const selArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom('@', '%', '&', 'feed', 'msg', 'blob') },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('feed', 'msg', 'blob'), n: fc.nat(1000) }) },
)
const queryArb = fc.oneof(
  fc.record({ q: fc.constant('history' as const), feed: fc.nat(4), seq: fc.nat(8), limit: orderArb.limit, ...fmtArb }),
  {
    weight: 4,
    arbitrary: fc.record({
      q: fc.constantFrom('user' as const, 'log' as const, 'feed' as const, 'type' as const),
      feed: fc.nat(3),
      lo: boundArb,
      hi: boundArb,
      type: fc.constantFrom('post', 'vote', 'contact', 'ünï', '\u{1F600}xy', 'p\u0000x'),
      ...fmtArb,
      ...orderArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      q: fc.constant('links' as const),
      source: selArb,
      dest: selArb,
      rel: fc.option(fc.constantFrom('root', 'mentions', 'contact', 'ä'), { nil: undefined, freq: 2 }),
      meta: fc.option(fc.boolean(), { nil: undefined }),
      ...fmtArb,
      ...orderArb,
    }),
  },
)
type Query = typeof queryArb extends fc.Arbitrary<infer T> ? T : never

const me = keysFor(60)
const writers = [keysFor(61), keysFor(62), keysFor(63), me]
const feeds = [...writers.map((k) => k.id), keysFor(64).id]
const blobs = [1, 2].map((i) => '&' + Buffer.alloc(32, i).toString('base64') + '.sha256')

class Runner {
  model = new Model()
  states = new Map<string, FeedState | null>()
  clock = 1_600_000_000_000

  build(spec: ContentSpec): { content: Obj | string; plain: Obj; mine: boolean } {
    const c: Obj = { type: spec.type }
    const target = (kind: string, n: number): unknown => {
      const msgs = this.model.msgs
      const msg = msgs.length ? msgs[n % msgs.length]!.kvt.key : '%' + Buffer.alloc(32, 7).toString('base64') + '.sha256'
      if (kind === 'msg') return msg
      if (kind === 'feed') return feeds[n % feeds.length]
      if (kind === 'blob') return blobs[n % 2]
      if (kind === 'obj') return { link: n % 2 ? msg : feeds[n % feeds.length], extra: 1 }
      if (kind === 'arr') return [msg, blobs[n % 2], 'not a link']
      return 'junk' + n
    }
    for (const l of spec.links) c[l.rel] = target(l.kind, l.target)
    if (spec.contact) {
      c.contact = feeds[spec.contact.target % feeds.length]
      if (spec.contact.following !== null) c.following = spec.contact.following
      if (spec.contact.blocking !== null) c.blocking = spec.contact.blocking
    }
    if (spec.private === 'no') return { content: c, plain: c, mine: true }
    return { content: fakeBox(c, spec.private === 'me' ? [me.id] : ['@other']), plain: c, mine: spec.private === 'me' }
  }

  /** Signs the next message of writer `feed` (or onto `state`), remembering its plaintext. */
  sign(feed: number, spec: ContentSpec, state?: FeedState | null): { key: KVT['key']; value: MsgValue } {
    const keys = writers[feed]!
    const built = this.build(spec)
    this.clock += 1000
    const ts =
      spec.claimed === 'future' ? 4e12
      : spec.claimed === 'zero' ? 0
      : spec.claimed === 'negative' ? -this.clock / 7
      : spec.claimed === 'fraction' ? this.clock + 0.25
      : this.clock
    const st = state === undefined ? (this.states.get(keys.id) ?? null) : state
    const m = createMessage(keys, st, built.content, ts)
    this.plaintext.set(m.key, built)
    return m
  }
  plaintext = new Map<string, { plain: Obj; mine: boolean }>()

  record(kvt: KVT): void {
    const b = this.plaintext.get(kvt.key)
    const boxed = typeof kvt.value.content === 'string'
    const plain = b?.mine ? b.plain : null
    const m: ModelMsg = { kvt, content: boxed ? plain : (kvt.value.content as Obj), plain: boxed ? plain : null }
    const last = this.model.msgs.at(-1)
    if (last) expect(kvt.timestamp).toBeGreaterThan(last.kvt.timestamp)
    this.model.msgs.push(m)
    this.states.set(kvt.value.author, { id: kvt.key, sequence: kvt.value.sequence, timestamp: kvt.value.timestamp })
  }
}

type Action = typeof actionArb extends fc.Arbitrary<infer T> ? T : never

async function act(db: Db, r: Runner, a: Action): Promise<void> {
  if (a.kind === 'add') {
    r.record(await db.add(r.sign(a.feed, a.content).value))
  } else if (a.kind === 'publish') {
    const built = r.build(a.content)
    const kvt = await db.publish(built.content)
    r.plaintext.set(kvt.key, built)
    r.record(kvt)
  } else if (a.kind === 'batch') {
    const staged = new Map<string, FeedState | null>()
    const values: MsgValue[] = []
    let firstBad = -1
    for (const it of a.items) {
      const id = writers[it.feed]!.id
      const st = staged.has(id) ? staged.get(id)! : (r.states.get(id) ?? null)
      const { key, value: v } = r.sign(it.feed, it.content, st)
      if (it.bad && firstBad === -1) {
        values.push({ ...v, signature: v.signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) })
        firstBad = values.length - 1
      } else {
        values.push(v)
        staged.set(id, { id: key, sequence: v.sequence, timestamp: v.timestamp })
      }
    }
    const res = await db.addBatch(values)
    for (const kvt of res.stored) r.record(kvt)
    if (firstBad >= 0) expect(res.error).toBeDefined()
  } else {
    const keys = writers[a.feed]!
    const st = r.states.get(keys.id) ?? null
    if (a.kind === 'dup') {
      const mine = r.model.msgs.filter((m) => m.kvt.value.author === keys.id)
      if (mine.length === 0) return
      const again = await db.add(mine[0]!.kvt.value)
      expect(again).toEqual(mine[0]!.kvt)
      return
    }
    const spec = { type: 'post', links: [], contact: null, private: 'no', claimed: 'past' } as ContentSpec
    let v: MsgValue
    if (a.kind === 'gap') v = r.sign(a.feed, spec, st ? { ...st, sequence: st.sequence + 1 } : { id: fakeId(1), sequence: 1, timestamp: 0 }).value
    else if (a.kind === 'fork') {
      if (st === null) return
      v = r.sign(a.feed, spec, { ...st, id: fakeId(2) }).value
    } else {
      const good = r.sign(a.feed, spec, st).value
      v = { ...good, content: { type: 'post', text: 'tampered' } }
    }
    await expect(db.add(v)).rejects.toMatchObject({ name: 'ValidationError' })
  }
}

const fakeId = (n: number): KVT['key'] => ('%' + Buffer.alloc(32, n).toString('base64') + '.sha256') as KVT['key']

function pickBound(values: number[], b: { incl: boolean; frac: number; jitter: number } | null, eps: number): number | undefined {
  if (b === null || values.length === 0) return undefined
  const v = values[Math.min(values.length - 1, Math.floor(b.frac * values.length))]!
  return v + b.jitter * eps
}

type Sel = typeof selArb extends fc.Arbitrary<infer T> ? T : never

function resolveSel(r: Runner, s: Sel): string | undefined {
  if (s === undefined || s === null) return undefined
  if (typeof s === 'string') return s
  if (s.kind === 'feed') return feeds[s.n % feeds.length]
  if (s.kind === 'blob') return blobs[s.n % 2]
  const msgs = r.model.msgs
  return msgs.length ? msgs[s.n % msgs.length]!.kvt.key : fakeId(3)
}

const stats = { queries: 0, nonEmptyRanged: 0, nonEmptyLinks: 0 }

async function check(db: Db, r: Runner, q: Query): Promise<void> {
  const m = r.model
  const clean = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
  if (q.q === 'history') {
    const o = clean({ id: feeds[q.feed]!, seq: q.seq, keys: q.keys, values: q.values, limit: q.limit })
    expect(await collect(db.createHistoryStream(o))).toEqual(m.history(o))
    return
  }
  if (q.q === 'links') {
    const o = clean({ source: resolveSel(r, q.source), dest: resolveSel(r, q.dest), rel: q.rel, meta: q.meta, keys: q.keys, values: q.values, reverse: q.reverse, limit: q.limit, private: q.private })
    if (o.meta === false && o.keys === false && o.values !== true) return
    const norm = { ...o, source: o.source && ({ feed: '@', msg: '%', blob: '&' } as Obj)[o.source] as string | undefined || o.source, dest: o.dest && ({ feed: '@', msg: '%', blob: '&' } as Obj)[o.dest] as string | undefined || o.dest }
    const want = m.links(clean(norm))
    expect(await collect(db.links(o))).toEqual(want)
    if (want.length > 0) stats.nonEmptyLinks++
    return
  }
  const seqs = q.q === 'user' ? m.msgs.filter((x) => x.kvt.value.author === feeds[q.feed]).map((x) => x.kvt.value.sequence) : []
  const values = q.q === 'user' ? seqs : q.q === 'feed' ? m.msgs.map(Model.rts).sort((a, b) => a - b) : m.msgs.map((x) => x.kvt.timestamp)
  const eps = q.q === 'user' ? 0.5 : 0.0004
  const lo = pickBound(values, q.lo, eps)
  const hi = pickBound(values, q.hi, eps)
  const bounds: Obj = {}
  if (lo !== undefined) bounds[q.lo!.incl ? 'gte' : 'gt'] = lo
  if (hi !== undefined) bounds[q.hi!.incl ? 'lte' : 'lt'] = hi
  const o = clean({ ...bounds, keys: q.keys, values: q.values, reverse: q.reverse, limit: q.limit, private: q.private })
  const [got, want] =
    q.q === 'user'
      ? [db.createUserStream({ id: feeds[q.feed]!, ...o }), m.user({ id: feeds[q.feed]!, ...o })]
      : q.q === 'log'
        ? [db.createLogStream(o), m.log(o)]
        : q.q === 'feed'
          ? [db.createFeedStream(o), m.feed(o)]
          : [db.messagesByType({ type: q.type, ...o }), m.byType({ type: q.type, ...o })]
  expect(await collect(got)).toEqual(want)
  stats.queries++
  if (want.length > 0 && (lo !== undefined || hi !== undefined)) stats.nonEmptyRanged++
}

test('every query agrees with a naive model after random writes (and after a rebuild)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(actionArb, { minLength: 5, maxLength: 30, size: 'medium' }),
      fc.array(queryArb, { minLength: 10, maxLength: 40, size: 'medium' }),
      fc.boolean(),
      async (actions, queries, rebuild) => {
        const dir = await makeTempDir()
        const opts = {
          dir,
          unbox: (v: MsgValue) => {
            const { readers, content } = JSON.parse(Buffer.from((v.content as string).slice(0, -4), 'base64').toString())
            return readers.includes(me.id) ? content : null
          },
        }
        let db = await openDb({ keys: me }, opts)
        try {
          const r = new Runner()
          for (const a of actions) await act(db, r, a)
          if (rebuild) {
            await db.close()
            await rm(join(dir, 'indexes'), { recursive: true })
            db = await openDb({ keys: me }, opts)
          }
          for (const q of queries) await check(db, r, q)
          expect(await db.getVectorClock()).toEqual(r.model.clock())
          expect(await db.getContacts()).toEqual(r.model.contacts())
          for (const x of r.model.msgs) expect(await db.get({ id: x.kvt.key, meta: true })).toEqual(x.kvt)
          expect(await db.verifyIndexes()).toEqual([])
        } finally {
          await db.close()
          await removeDir(dir)
        }
      },
    ),
    { numRuns: 25, endOnFailure: true },
  )
  // the generators must reach the interesting cases, or the model comparison proves little
  expect(stats.nonEmptyRanged).toBeGreaterThan(50)
  expect(stats.nonEmptyLinks).toBeGreaterThan(20)
}, 120_000) // passes in ~10 s; the margin is for shrinking a counterexample

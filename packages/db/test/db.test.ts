import { messageId } from '@ssb/feed'
import { afterEach, describe, expect, test } from 'vitest'
import { DbError, ValidationError, openDb } from '../src/index.js'
import { FeedWriter, type TestDb, collect, keysFor, withDb } from './helpers.js'

let t: TestDb
afterEach(async () => {
  await t?.cleanup()
})

describe('publish', () => {
  test('creates, signs and stores own messages; get returns the value', async () => {
    t = await withDb()
    const kvt = await t.db.publish({ type: 'post', text: 'hello' })
    expect(kvt.value.author).toBe(t.keys.id)
    expect(kvt.value.sequence).toBe(1)
    expect(kvt.value.previous).toBeNull()
    expect(messageId(kvt.value)).toBe(kvt.key)
    expect(await t.db.get(kvt.key)).toEqual(kvt.value)
    expect(await t.db.get({ id: kvt.key, meta: true })).toEqual(kvt)
  })

  test('README example', async () => {
    t = await withDb()
    const db = t.db
    const msg = await db.publish({ type: 'post', text: 'hello world' })
    const seen = []
    for await (const value of db.createHistoryStream({ id: db.id, keys: false })) {
      seen.push(value) // the signed message value, same as msg.value
    }
    expect(seen).toEqual([msg.value])
    expect(await db.latestSequence(db.id)).toBe(1)
  })

  test('concurrent publishes get consecutive sequences and strictly increasing receive times', async () => {
    t = await withDb()
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => t.db.publish({ type: 'post', text: String(i) })))
    expect(results.map((r) => r.value.sequence)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
    for (let i = 1; i < results.length; i++) {
      expect(results[i]!.value.previous).toBe(results[i - 1]!.key)
      expect(results[i]!.timestamp).toBeGreaterThan(results[i - 1]!.timestamp)
    }
    expect(await t.db.latestSequence(t.db.id)).toBe(50)
  })

  test('content with recps is refused without a box hook, boxed with one', async () => {
    t = await withDb()
    const err = await t.db.publish({ type: 'post', text: 'secret', recps: [t.keys.id] }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DbError)
    expect((err as DbError).code).toBe('DB_NO_BOXER')
    expect(await t.db.latestSequence(t.db.id).catch((e: DbError) => e.code)).toBe('DB_NOT_FOUND')
    const boxed = await t.reopen({ box: (c) => Buffer.from(JSON.stringify(c)).toString('base64') + '.box' })
    const kvt = await boxed.publish({ type: 'post', text: 'secret', recps: [t.keys.id] })
    expect(typeof kvt.value.content).toBe('string')
    expect(kvt.value.content as string).toMatch(/\.box$/)
  })

  test('invalid content is a ValidationError and does not advance the feed', async () => {
    t = await withDb()
    const err = await t.db.publish({ type: 'x' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ValidationError)
    const ok = await t.db.publish({ type: 'post' })
    expect(ok.value.sequence).toBe(1)
  })
})

describe('add', () => {
  test('validates against the in-memory state and stores in order', async () => {
    t = await withDb()
    const w = new FeedWriter(keysFor(7))
    const [a, b, c] = w.many(3)
    const kvt = await t.db.add(a)
    expect(kvt.key).toBe(w.msgs[0]!.key)
    expect(kvt.value).toEqual(a)
    await t.db.add(b)
    await t.db.add(c)
    expect(t.db.feedState(w.id)).toEqual(w.state)
    expect(await t.db.getVectorClock()).toEqual({ [w.id]: 3 })
  })

  test('a message we already have returns the stored KVT (idempotent)', async () => {
    t = await withDb()
    const w = new FeedWriter(keysFor(7))
    const [a, b] = w.many(2)
    const first = await t.db.add(a)
    await t.db.add(b)
    expect(await t.db.add(a)).toEqual(first)
    expect(await t.db.add(b)).toMatchObject({ key: w.msgs[1]!.key })
    expect(await t.db.latestSequence(w.id)).toBe(2)
  })

  test('gap, wrong first message, fork and bad signature are ValidationErrors with codes', async () => {
    t = await withDb()
    const w = new FeedWriter(keysFor(7))
    const [a, b, c] = w.many(3)
    const codeOf = (p: Promise<unknown>): Promise<string> =>
      p.then(
        () => 'ok',
        (e: unknown) => {
          expect(e).toBeInstanceOf(ValidationError)
          return (e as ValidationError).code
        },
      )
    expect(await codeOf(t.db.add(b))).toBe('INVALID_PREVIOUS')
    await t.db.add(a)
    expect(await codeOf(t.db.add(c))).toBe('INVALID_SEQUENCE')
    const fork = new FeedWriter(keysFor(7), 1_700_000_000_000)
    fork.next({ type: 'post', text: 'other first' })
    const forked = fork.next({ type: 'post', text: 'other second' }).value
    expect(await codeOf(t.db.add(forked))).toBe('FORK')
    const tampered = { ...b, content: { type: 'post', text: 'tampered' } }
    expect(await codeOf(t.db.add(tampered))).toBe('INVALID_SIGNATURE')
    expect(await codeOf(t.db.add({ nope: true }))).not.toBe('ok')
    expect(await t.db.latestSequence(w.id)).toBe(1)
    expect(await codeOf(t.db.add(b))).toBe('ok')
  })

  test('hmacKey: messages signed for another network are refused', async () => {
    const hmac = Buffer.alloc(32, 9).toString('base64')
    t = await withDb({ hmacKey: hmac })
    const plain = new FeedWriter(keysFor(7)).many(1)[0]!
    await expect(t.db.add(plain)).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' })
    const capped = new FeedWriter(keysFor(8), 1_600_000_000_000, hmac).many(1)[0]!
    await expect(t.db.add(capped)).resolves.toMatchObject({ value: capped })
    const own = await t.db.publish({ type: 'post' })
    expect(own.value.sequence).toBe(1)
  })
})

describe('addBatch', () => {
  test('stores runs of several feeds, skips duplicates, reports the first error', async () => {
    t = await withDb()
    const w1 = new FeedWriter(keysFor(11))
    const w2 = new FeedWriter(keysFor(12))
    const w3 = new FeedWriter(keysFor(13))
    const a = w1.many(5)
    const b = w2.many(5)
    const c = w3.many(3)
    await t.db.addBatch(a.slice(0, 2))
    const bad = { ...b[3]!, content: { type: 'post', text: 'tampered' } }
    const mixed = [a[0]!, a[1]!, a[2]!, b[0]!, a[3]!, b[1]!, b[2]!, bad, b[4]!, a[4]!, c[1]!, c[2]!]
    const r = await t.db.addBatch(mixed)
    expect(r.duplicates).toBe(2)
    expect(r.stored.map((k) => [k.value.author, k.value.sequence])).toEqual([
      [w1.id, 3],
      [w2.id, 1],
      [w1.id, 4],
      [w2.id, 2],
      [w2.id, 3],
      [w1.id, 5],
    ])
    expect(r.error).toBeInstanceOf(ValidationError)
    expect(r.error!.code).toBe('INVALID_SIGNATURE')
    expect(r.errors.map((e) => e.code).sort()).toEqual(['INVALID_PREVIOUS', 'INVALID_SIGNATURE'])
    expect(await t.db.getVectorClock()).toEqual({ [w1.id]: 5, [w2.id]: 3 })
    for (let i = 1; i < r.stored.length; i++) expect(r.stored[i]!.timestamp).toBeGreaterThan(r.stored[i - 1]!.timestamp)
    const again = await t.db.addBatch([b[3]!, b[4]!])
    expect(again.stored).toHaveLength(2)
    expect(again.error).toBeUndefined()
  })

  test('with a worker pool', async () => {
    t = await withDb({ batchWorkers: 1 })
    const w = new FeedWriter(keysFor(21))
    const msgs = w.many(300)
    msgs[250] = { ...msgs[250]!, signature: msgs[249]!.signature }
    const r = await t.db.addBatch(msgs)
    expect(r.stored).toHaveLength(250)
    expect(r.error?.code).toBe('INVALID_SIGNATURE')
  })

  test('rejects a non-array', async () => {
    t = await withDb()
    await expect(t.db.addBatch('x' as never)).rejects.toMatchObject({ code: 'DB_INVALID_ARGUMENT' })
  })
})

describe('state and lifecycle', () => {
  test('everything survives close and reopen; receive times keep increasing', async () => {
    t = await withDb()
    const w = new FeedWriter(keysFor(3))
    await t.db.addBatch(w.many(10))
    const own = await t.db.publish({ type: 'post' })
    const db = await t.reopen()
    expect(await db.getVectorClock()).toEqual({ [w.id]: 10, [t.keys.id]: 1 })
    expect(db.feedState(t.keys.id)).toEqual({ id: own.key, sequence: 1, timestamp: own.value.timestamp })
    const next = await db.publish({ type: 'post' })
    expect(next.value.previous).toBe(own.key)
    expect(next.timestamp).toBeGreaterThan(own.timestamp)
    expect(await collect(db.latest())).toEqual(
      expect.arrayContaining([
        { id: w.id, sequence: 10, ts: w.state!.timestamp },
        { id: t.keys.id, sequence: 2, ts: next.value.timestamp },
      ]),
    )
    expect(await db.getLatest(w.id)).toEqual({ key: w.state!.id, value: w.msgs[9]!.value })
    expect(await db.getLatest(keysFor(99).id)).toBeNull()
  })

  test('errors: not found, invalid arguments, closed', async () => {
    t = await withDb()
    const missing = '%' + Buffer.alloc(32, 1).toString('base64') + '.sha256'
    await expect(t.db.get(missing)).rejects.toMatchObject({ name: 'DbError', code: 'DB_NOT_FOUND' })
    await expect(t.db.get('nope')).rejects.toMatchObject({ code: 'DB_INVALID_ARGUMENT' })
    await expect(t.db.latestSequence(keysFor(5).id)).rejects.toMatchObject({ code: 'DB_NOT_FOUND', message: `not found:${keysFor(5).id}` })
    await expect(t.db.latestSequence('x')).rejects.toMatchObject({ code: 'DB_INVALID_ARGUMENT' })
    expect(() => t.db.createHistoryStream({ id: 'x' })).toThrow(DbError)
    await t.db.close()
    await expect(t.db.publish({ type: 'post' })).rejects.toMatchObject({ code: 'DB_CLOSED' })
    await expect(collect(t.db.createLogStream())).rejects.toMatchObject({ code: 'DB_CLOSED' })
  })

  test('a second open of the same dir fails while the first holds it', async () => {
    t = await withDb()
    await expect(openDb({ keys: t.keys }, { dir: t.dir })).rejects.toThrow()
  })

  test('progress is complete when idle', async () => {
    t = await withDb()
    await t.db.publish({ type: 'post' })
    await collect(t.db.createLogStream())
    const p = t.db.progress().indexes
    expect(p.current).toBe(p.target)
    expect(p.target).toBeGreaterThan(0)
  })
})

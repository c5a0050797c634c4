import type { KVT, MsgValue } from '@ssb/feed'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { FeedWriter, type TestDb, collect, keysFor, withDb } from './helpers.js'

// A stand-in for private-box: the "ciphertext" names its readers; the hook opens it only for us.
const fakeBox = (content: object, readers: string[]): string =>
  Buffer.from(JSON.stringify({ readers, content })).toString('base64') + '.box'

let t: TestDb
let me: string
const friend = new FeedWriter(keysFor(40))
const root = '%' + Buffer.alloc(32, 3).toString('base64') + '.sha256'
let forMe: KVT
let notForMe: KVT
let own: KVT

beforeAll(async () => {
  me = keysFor(41).id
  t = await withDb(
    {
      unbox: (value: MsgValue) => {
        const { readers, content } = JSON.parse(Buffer.from((value.content as string).slice(0, -4), 'base64').toString())
        return readers.includes(me) ? content : null
      },
      box: (content) => fakeBox(content, content.recps as string[]),
    },
    41,
  )
  forMe = await t.db.add(friend.next(fakeBox({ type: 'secret', root, contact: me, following: true }, [me])).value)
  notForMe = await t.db.add(friend.next(fakeBox({ type: 'secret', root }, ['@someone-else'])).value)
  own = await t.db.publish({ type: 'secret', text: 'note to self', recps: [me] })
})
afterAll(async () => {
  await t.cleanup()
})

describe('private messages', () => {
  test('decrypted content is indexed (type, links, contacts) for the local user only', async () => {
    expect(await collect(t.db.messagesByType({ type: 'secret', values: false }))).toEqual([forMe.key, own.key])
    expect(await collect(t.db.links({ dest: root, values: false }))).toEqual([{ source: friend.id, rel: 'root', dest: root, key: forMe.key }])
    expect(await t.db.getContacts()).toEqual({ [friend.id]: { [me]: 1 } })
  })

  test('queries return the ciphertext unless private:true', async () => {
    const byType = (await collect(t.db.messagesByType('secret'))) as KVT[]
    expect(byType.map((k) => typeof k.value.content)).toEqual(['string', 'string'])
    expect(await t.db.get(forMe.key)).toEqual(forMe.value)
    const plain = (await t.db.get({ id: forMe.key, private: true })) as MsgValue & Record<string, unknown>
    expect(plain.content).toEqual({ type: 'secret', root, contact: me, following: true })
    expect(plain.meta).toEqual({ original: { content: forMe.value.content }, private: true })
    expect(plain.private).toBe(true)
    expect(plain.cyphertext).toBe(forMe.value.content)
    const viaQuery = (await t.db.get(`${forMe.key}?unbox=abc`)) as MsgValue
    expect(viaQuery.content).toEqual(plain.content)
    // not for us: stays ciphertext even with private:true
    expect(await t.db.get({ id: notForMe.key, private: true })).toEqual(notForMe.value)
  })

  test('every stream decrypts only on request; history never does', async () => {
    const privateLog = (await collect(t.db.createLogStream({ private: true }))) as KVT[]
    expect(privateLog.map((k) => typeof k.value.content)).toEqual(['object', 'string', 'object'])
    const publicLog = (await collect(t.db.createLogStream())) as KVT[]
    expect(publicLog.map((k) => k.value)).toEqual([forMe.value, notForMe.value, own.value])
    const history = (await collect(t.db.createHistoryStream({ id: friend.id, private: true } as never))) as KVT[]
    expect(history.map((k) => k.value)).toEqual([forMe.value, notForMe.value])
    const user = (await collect(t.db.createUserStream({ id: friend.id, private: true, keys: false }))) as MsgValue[]
    expect(typeof user[0]!.content).toBe('object')
    const feed = (await collect(t.db.createFeedStream({ private: true, keys: false }))) as MsgValue[]
    expect(feed.filter((v) => typeof v.content === 'object')).toHaveLength(2)
    const links = await collect(t.db.links({ dest: root, values: true, private: true }))
    expect((links[0] as { value: MsgValue }).value.content).toMatchObject({ type: 'secret' })
    const linksPublic = await collect(t.db.links({ dest: root, values: true }))
    expect((linksPublic[0] as { value: MsgValue }).value).toEqual(forMe.value)
  })

  test('readIndex with fields: decrypted content where a path needs it, the rest read in part', async () => {
    const whole = (await collect(t.db.readIndex({ index: 'typ', gte: ['secret'], lte: ['secret'] }))) as Array<KVT & { rts: number }>
    expect(whole.map((k) => k.key)).toEqual([forMe.key, own.key])
    const authors = await collect(t.db.readIndex({ index: 'typ', gte: ['secret'], lte: ['secret'], fields: [['value', 'author'], ['rts']] }))
    // rts needs both timestamps, so they come along
    expect(authors).toEqual(whole.map((k) => ({ value: { author: k.value.author, timestamp: k.value.timestamp }, timestamp: k.timestamp, rts: k.rts })))
    const content = (await collect(t.db.readIndex({ index: 'typ', gte: ['secret'], lte: ['secret'], fields: [['value', 'content', 'type']] }))) as KVT[]
    // boxed content cannot be read in part: those come whole, decrypted
    expect(content.map((k) => k.value.content)).toEqual(whole.map((k) => k.value.content))
    expect(content.map((k) => (k.value.content as { type: string }).type)).toEqual(['secret', 'secret'])
    expect(() => t.db.readIndex({ index: 'typ', gte: [], lte: [], fields: 'value' as never })).toThrow(/fields/)
  })

  test('prefilters (where) see private messages decrypted, whole', async () => {
    type M = { value: { author: string; content: unknown } }
    const secret = { fields: [['value', 'content', 'type']], test: (m: Record<string, unknown>) => ((m as M).value.content as { type?: string }).type === 'secret' }
    const byType = (await collect(t.db.createLogStream({ private: true, where: secret }))) as KVT[]
    expect(byType.map((k) => k.key)).toEqual([forMe.key, own.key])
    expect(byType.map((k) => (k.value.content as { type: string }).type)).toEqual(['secret', 'secret'])
    // not decrypted: nothing has that type
    expect(await collect(t.db.createLogStream({ where: secret }))).toEqual([])
    const byFriend = { fields: [['value', 'author']], test: (m: Record<string, unknown>) => (m as M).value.author === friend.id }
    expect(((await collect(t.db.createLogStream({ where: byFriend, keys: true, values: false }))) as string[])).toEqual([forMe.key, notForMe.key])
    const indexed = (await collect(t.db.readIndex({ index: 'typ', gte: ['secret'], lte: ['secret'], where: byFriend }))) as KVT[]
    expect(indexed.map((k) => k.key)).toEqual([forMe.key])
    expect(() => t.db.createLogStream({ where: { fields: [['a']] } as never })).toThrow(/where/)
    // raw reads leave boxed messages as objects: decrypted, or ciphertext when not for us
    const raw = await collect(t.db.readIndex({ index: 'typ', gte: ['secret'], lte: ['secret'], raw: true }))
    expect(raw).toEqual(await collect(t.db.readIndex({ index: 'typ', gte: ['secret'], lte: ['secret'] })))
    expect(raw.map((k) => typeof (k as KVT).value.content)).toEqual(['object', 'object'])
  })

  test('live streams decrypt on request too', async () => {
    const it = t.db.messagesByType({ type: 'secret', old: false, live: true, private: true })[Symbol.asyncIterator]()
    const next = it.next()
    const m = await t.db.add(friend.next(fakeBox({ type: 'secret', n: 3 }, [me])).value)
    const got = (await next).value as KVT
    expect(got.key).toBe(m.key)
    expect(got.value.content).toEqual({ type: 'secret', n: 3 })
    await it.return!()
  })
})

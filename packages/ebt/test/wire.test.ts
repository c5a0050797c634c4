import { createMessage, messageId } from '@ssb/feed'
import { type FeedId, generateKeys } from '@ssb/keys'
import { afterEach, describe, expect, test } from 'vitest'
import { EbtError } from '../src/index.js'
import { createNode, makeFeed, type Node, Pushable } from './helpers.js'

/** A scripted remote peer: we push its frames and read ours. */
function scripted(n: Node, opts: { isClient: boolean; version?: number; peer?: FeedId }) {
  const peer = opts.peer ?? generateKeys().id
  const input = new Pushable<unknown>()
  const controller = new AbortController()
  const out = n.ebt.replicate(peer, input, { isClient: opts.isClient, version: opts.version ?? 3, signal: controller.signal })
  const iterator = out[Symbol.asyncIterator]()
  return {
    peer,
    send: (frame: unknown) => input.push(JSON.parse(JSON.stringify(frame))),
    next: async () => {
      const r = await iterator.next()
      return r.done ? 'END' : (JSON.parse(JSON.stringify(r.value)) as unknown)
    },
    end: () => input.end(),
    abort: () => controller.abort(),
  }
}

const nodes: Node[] = []
function node(): Node {
  const n = createNode()
  nodes.push(n)
  return n
}
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.ebt.close()))
})

describe('wire frames (protocol.md §9.3)', () => {
  test('the answering side speaks first, even with nothing to say', async () => {
    const us = node()
    const remote = scripted(us, { isClient: false })
    expect(await remote.next()).toEqual({})
    remote.abort()
    expect(await remote.next()).toBe('END')
  })

  test('first notes: seq*2 to receive, a feed we lack is 0', async () => {
    const us = node()
    const other = generateKeys().id
    for (let i = 0; i < 3; i++) us.store.publish(us.keys)
    us.ebt.request(us.id)
    us.ebt.request(other)
    const remote = scripted(us, { isClient: false })
    expect(await remote.next()).toEqual({ [us.id]: 6, [other]: 0 })
    remote.abort()
  })

  test('the dialling side waits for the peer\u2019s notes, then answers', async () => {
    const us = node()
    us.store.publish(us.keys)
    us.ebt.request(us.id)
    const remote = scripted(us, { isClient: true })
    const first = remote.next()
    let answered = false
    void first.then(() => {
      answered = true
    })
    await us.ebt.ready()
    await new Promise((resolve) => setImmediate(resolve))
    expect(answered).toBe(false)
    await remote.send({})
    expect(await first).toEqual({ [us.id]: 2 })
    remote.abort()
  })

  test('{feed: 0} → we stream from seq 1 in order, then live', async () => {
    const us = node()
    const sent = [us.store.publish(us.keys), us.store.publish(us.keys), us.store.publish(us.keys)]
    us.ebt.request(us.id)
    const remote = scripted(us, { isClient: false })
    expect(await remote.next()).toEqual({ [us.id]: 6 })
    await remote.send({ [us.id]: 0 })
    expect([await remote.next(), await remote.next(), await remote.next()]).toEqual(sent)
    const live = us.store.publish(us.keys)
    expect(await remote.next()).toEqual(live)
    remote.abort()
  })

  test('a lower note later asks again: we resend from there', async () => {
    const us = node()
    const sent = [us.store.publish(us.keys), us.store.publish(us.keys), us.store.publish(us.keys)]
    us.ebt.request(us.id)
    const remote = scripted(us, { isClient: false })
    await remote.next()
    await remote.send({ [us.id]: 0 })
    expect([await remote.next(), await remote.next(), await remote.next()]).toEqual(sent)
    await remote.send({ [us.id]: 2 }) // "have 1, send": e.g. it could not store 2 and 3
    expect([await remote.next(), await remote.next()]).toEqual(sent.slice(1))
    remote.abort()
  })

  test('{feed: 4} (have 2, send) → we send 3 only', async () => {
    const us = node()
    const sent = [us.store.publish(us.keys), us.store.publish(us.keys), us.store.publish(us.keys)]
    us.ebt.request(us.id)
    const remote = scripted(us, { isClient: false })
    await remote.next()
    await remote.send({ [us.id]: 4 })
    expect(await remote.next()).toEqual(sent[2])
    expect(us.ebt.queueStats(remote.peer)).toMatchObject({ liveQueued: 0, backlogFeeds: 0 })
    remote.abort()
  })

  test('{feed: 21} (have 10, do not send) while we have 12 → no messages, our note instead', async () => {
    const us = node()
    for (let i = 0; i < 12; i++) us.store.publish(us.keys)
    us.ebt.request(us.id)
    const remote = scripted(us, { isClient: true })
    await remote.send({ [us.id]: 21 })
    expect(await remote.next()).toEqual({ [us.id]: 24 })
    expect(us.ebt.queueStats(remote.peer)).toMatchObject({ liveQueued: 0, backlogFeeds: 0 })
    us.store.publish(us.keys) // they do not want messages: they get a "have 13, don't send" note
    expect(await remote.next()).toEqual({ [us.id]: 27 })
    remote.abort()
  })

  test('-1 → never send that feed, not even live', async () => {
    const us = node()
    const other = makeFeed(2)
    us.store.preload(other.values, other.state)
    for (let i = 0; i < 3; i++) us.store.publish(us.keys)
    us.ebt.request(us.id)
    us.ebt.request(other.keys.id)
    const remote = scripted(us, { isClient: false })
    expect(await remote.next()).toEqual({ [us.id]: 6, [other.keys.id]: 4 })
    await remote.send({ [us.id]: -1, [other.keys.id]: 0 })
    expect(await remote.next()).toEqual(other.values[0])
    expect(await remote.next()).toEqual(other.values[1])
    us.store.publish(us.keys)
    expect(us.ebt.queueStats(remote.peer)).toMatchObject({ liveQueued: 0, backlogFeeds: 0, pendingNotes: 0 })
    expect(us.ebt.peerStatus(us.id).peers[remote.peer]).toMatchObject({ seq: -1, replicating: { tx: false } })
    remote.abort()
  })

  test('a feed we do not replicate gets -1 once; non-feed keys are ignored; {clock:{…}} is accepted', async () => {
    const us = node()
    const stranger = generateKeys().id
    const remote = scripted(us, { isClient: true })
    await remote.send({ clock: { [stranger]: 10, 'not a feed': 0, '@x.ed25519': 2 } })
    expect(await remote.next()).toEqual({ [stranger]: -1 })
    await remote.send({ [stranger]: 12 })
    const probe = generateKeys().id
    await remote.send({ [probe]: 0 }) // answered with -1: proves the frame before was handled silently
    expect(await remote.next()).toEqual({ [probe]: -1 })
    remote.abort()
  })

  test('version 2 notes: seq to receive, ~seq to only inform', async () => {
    const us = node()
    const mine = [us.store.publish(us.keys), us.store.publish(us.keys), us.store.publish(us.keys)]
    us.ebt.request(us.id)
    const remote = scripted(us, { isClient: true, version: 2 })
    await remote.send({ [us.id]: ~2 }) // they have 2 and don't want ours
    expect(await remote.next()).toEqual({ [us.id]: 3 })
    mine.push(us.store.publish(us.keys))
    expect(await remote.next()).toEqual({ [us.id]: ~4 }) // have 4, don't send
    await remote.send({ [us.id]: 2 }) // now they want it
    expect([await remote.next(), await remote.next()]).toEqual(mine.slice(2))
    remote.abort()
  })

  test('unsupported versions and bad peer ids are refused with EbtError codes', () => {
    const us = node()
    const input = new Pushable<unknown>()
    expect(() => us.ebt.replicate(generateKeys().id, input, { isClient: false, version: 4 })).toThrowError(
      expect.objectContaining({ name: 'EbtError', code: 'EBT_UNSUPPORTED_VERSION' }),
    )
    expect(() => us.ebt.replicate('nope' as FeedId, input, { isClient: false, version: 3 })).toThrowError(EbtError)
  })
})

describe('untrusted input', () => {
  test('unsolicited messages and messages of feeds not negotiated are ignored', async () => {
    const us = node()
    const other = makeFeed(3)
    us.ebt.request(us.id)
    const remote = scripted(us, { isClient: false })
    expect(await remote.next()).toEqual({ [us.id]: 0 })
    await remote.send(other.values[0]) // never negotiated
    await remote.send('garbage')
    await remote.send([1, 2])
    const probe = generateKeys().id
    await remote.send({ [probe]: 0 })
    expect(await remote.next()).toEqual({ [probe]: -1 })
    expect(us.store.appendCalls).toBe(0)
    remote.abort()
  })

  test('an invalid message blocks that feed from that peer for the session', async () => {
    const us = node()
    const good = makeFeed(3)
    us.ebt.request(good.keys.id)
    const remote = scripted(us, { isClient: false })
    expect(await remote.next()).toEqual({ [good.keys.id]: 0 })
    await remote.send({ [good.keys.id]: 7 }) // have 3, don't send to us
    const forged = { ...good.values[0]!, signature: good.values[1]!.signature }
    await remote.send(forged)
    expect(await remote.next()).toEqual({ [good.keys.id]: -1 })
    for (const v of good.values) await remote.send(v) // ignored now
    const probe = generateKeys().id
    await remote.send({ [probe]: 0 })
    expect(await remote.next()).toEqual({ [probe]: -1 })
    expect(us.store.seq(good.keys.id)).toBe(0)
    expect(us.logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', ctx: expect.objectContaining({ code: 'INVALID_SIGNATURE' }) }))
    remote.abort()
  })

  test('a peer that keeps sending invalid messages is dropped with EBT_PEER_MISBEHAVING', async () => {
    const us = node()
    const feeds = [makeFeed(2), makeFeed(2), makeFeed(2)]
    for (const f of feeds) us.ebt.request(f.keys.id)
    const remote = scripted(us, { isClient: false })
    await remote.next()
    for (const f of feeds) await remote.send({ [f.keys.id]: 5 })
    for (const f of feeds) await remote.send({ ...f.values[0]!, content: { type: 'post', text: 'tampered' } })
    let error: unknown
    try {
      while ((await remote.next()) !== 'END');
    } catch (err) {
      error = err
    }
    expect(error).toMatchObject({ name: 'EbtError', code: 'EBT_PEER_MISBEHAVING' })
    expect(us.ebt.peers()).toEqual([])
  })

  test('a fork is refused like an invalid signature', async () => {
    const us = node()
    const feed = makeFeed(2)
    const first = feed.values[0]!
    us.store.preload([first], { id: messageId(first), sequence: 1, timestamp: first.timestamp })
    us.ebt.request(feed.keys.id)
    const remote = scripted(us, { isClient: true })
    await remote.send({ [feed.keys.id]: 5 }) // have 2, don't send
    expect(await remote.next()).toEqual({ [feed.keys.id]: 2 }) // have 1, send
    const otherFirst = { id: messageId(makeFeed(1).values[0]!), sequence: 1, timestamp: 1 }
    const fork = createMessage(feed.keys, otherFirst, { type: 'post', text: 'fork' }, 5).value
    await remote.send(fork)
    expect(await remote.next()).toEqual({ [feed.keys.id]: -1 })
    expect(us.logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', ctx: expect.objectContaining({ code: 'FORK' }) }))
    remote.abort()
  })

  test('a peer that never reads: live messages beyond the queue limit wait in the store', async () => {
    const us = createNode({ maxQueuedPerPeer: 16 })
    nodes.push(us)
    us.ebt.request(us.id)
    const remote = scripted(us, { isClient: true })
    await remote.send({ [us.id]: 0 })
    expect(await remote.next()).toEqual({ [us.id]: 0 }) // we ask for our own feed too, as ssb-ebt does
    // from now on nothing is pulled while we publish
    const published = []
    for (let i = 0; i < 500; i++) published.push(us.store.publish(us.keys))
    expect(us.ebt.queueStats(remote.peer)).toMatchObject({ liveQueued: 16, backlogFeeds: 1, pendingNotes: 0 })
    const received = []
    for (let i = 0; i < 500; i++) received.push(await remote.next())
    expect(received).toEqual(published)
    remote.abort()
  })
})


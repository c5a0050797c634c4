import { generateKeys } from '@ssb/keys'
import { afterEach, describe, expect, test } from 'vitest'
import { connect, createNode, makeFeed, type Node } from './helpers.js'

const nodes: Node[] = []
function node(...args: Parameters<typeof createNode>): Node {
  const n = createNode(...args)
  nodes.push(n)
  return n
}
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.ebt.close()))
})

function followAll(n: Node, ids: string[]): void {
  for (const id of ids) n.ebt.request(id as never, true)
}

describe('two engines in memory', () => {
  test('initial sync of several feeds in both directions, then live forwarding', async () => {
    const a = node()
    const b = node()
    const onlyA = [makeFeed(30), makeFeed(7)]
    const onlyB = makeFeed(12)
    for (const f of onlyA) a.store.preload(f.values, f.state)
    b.store.preload(onlyB.values, onlyB.state)
    for (let i = 0; i < 5; i++) a.store.publish(a.keys)
    for (let i = 0; i < 3; i++) b.store.publish(b.keys)
    const all = [a.id, b.id, onlyA[0]!.keys.id, onlyA[1]!.keys.id, onlyB.keys.id]
    followAll(a, all)
    followAll(b, all)
    const link = connect(a, b)
    const expected = { [a.id]: 5, [b.id]: 3, [onlyA[0]!.keys.id]: 30, [onlyA[1]!.keys.id]: 7, [onlyB.keys.id]: 12 }
    await b.store.until(() => all.every((id) => b.store.seq(id as never) === expected[id]))
    await a.store.until(() => all.every((id) => a.store.seq(id as never) === expected[id]))
    expect(b.store.clock()).toEqual(expected)
    expect(a.store.clock()).toEqual(expected)
    // batches, not one append per message
    expect(b.store.appendCalls).toBeLessThan(b.store.appendedMessages)

    a.store.publish(a.keys, { type: 'post', text: 'live' })
    await b.store.until(() => b.store.seq(a.id) === 6)
    expect(b.store.feeds.get(a.id)!.values[5]!.content).toEqual({ type: 'post', text: 'live' })
    expect(a.ebt.peerStatus(a.id)).toMatchObject({ id: a.id, seq: 6, peers: { [b.id]: { seq: 6 } } })
    expect(a.ebt.progress().target).toBeGreaterThan(0)
    link.abort()
    await link.done
    expect(a.ebt.peers()).toEqual([])
  })

  test('feeds we do not replicate are refused with -1 and never sent', async () => {
    const a = node()
    const b = node()
    const secret = makeFeed(4)
    a.store.preload(secret.values, secret.state)
    followAll(a, [a.id, b.id, secret.keys.id])
    followAll(b, [a.id, b.id])
    a.store.publish(a.keys)
    const link = connect(a, b)
    await b.store.until(() => b.store.seq(a.id) === 1)
    expect(b.store.seq(secret.keys.id)).toBe(0)
    // a asked b for the feed, b answered -1
    expect(link.bToA.some((f) => (f as Record<string, number>)[secret.keys.id] === -1)).toBe(true)
    link.abort()
    await link.done
  })

  test('request skipping: a second session only announces feeds that changed', async () => {
    const a = node()
    const b = node()
    const feeds = [makeFeed(3), makeFeed(3), makeFeed(3), makeFeed(3)]
    for (const f of feeds) a.store.preload(f.values, f.state)
    const ids = feeds.map((f) => f.keys.id)
    followAll(a, ids)
    followAll(b, ids)
    const first = connect(a, b)
    await b.store.until(() => ids.every((id) => b.store.seq(id) === 3))
    first.abort()
    await first.done
    await a.ebt.close() // flush the saved peer clocks
    await b.ebt.close()
    const firstNotes = Object.keys(first.bToA[0] as object).length
    expect(firstNotes).toBe(4)

    // new engines over the same stores and clock stores; one feed got a new message meanwhile
    const extra = makeFeed(4, feeds[0]!.keys)
    a.store.preload(extra.values.slice(3), extra.state)
    const a2 = node({}, a.keys, a.store, a.clocks)
    const b2 = node({}, b.keys, b.store, b.clocks)
    followAll(a2, ids)
    followAll(b2, ids)
    const second = connect(a2, b2)
    await b.store.until(() => b.store.seq(ids[0]!) === 4)
    // b (answering) has nothing new for a; a (dialling) only mentions the feed that changed
    expect(second.bToA[0]).toEqual({})
    expect(Object.keys(second.aToB[0] as object)).toEqual([ids[0]])
    expect(second.bToA[1]).toEqual({ [ids[0]!]: 6 }) // b: have 3, send
    second.abort()
    await second.done
  })

  test('three engines: C gets A\u2019s feed through B, live too', async () => {
    const a = node()
    const b = node()
    const c = node()
    for (let i = 0; i < 20; i++) a.store.publish(a.keys)
    for (const n of [a, b, c]) followAll(n, [a.id, b.id, c.id])
    const ab = connect(a, b)
    const bc = connect(b, c)
    await c.store.until(() => c.store.seq(a.id) === 20)
    a.store.publish(a.keys)
    await c.store.until(() => c.store.seq(a.id) === 21)
    expect(a.ebt.peers()).toEqual([b.id])
    ab.abort()
    bc.abort()
    await Promise.all([ab.done, bc.done])
  })

  test('version 2 peers replicate too', async () => {
    const a = node()
    const b = node()
    for (let i = 0; i < 4; i++) a.store.publish(a.keys)
    followAll(a, [a.id, b.id])
    followAll(b, [a.id, b.id])
    const link = connect(a, b, { version: 2 })
    await b.store.until(() => b.store.seq(a.id) === 4)
    expect(link.bToA[0]).toEqual({ [a.id]: 0, [b.id]: 0 }) // v2: have 0, receive = 0
    link.abort()
    await link.done
  })

  test('a new stream with the same peer replaces the old one', async () => {
    const a = node()
    const b = node()
    followAll(a, [a.id])
    followAll(b, [a.id])
    const first = connect(a, b)
    const second = connect(a, b)
    await first.done // both sides of the first link ended
    a.store.publish(a.keys)
    await b.store.until(() => b.store.seq(a.id) === 1)
    expect(a.ebt.peers()).toEqual([b.id])
    second.abort()
    await second.done
  })

  test('blocking a connected peer ends its stream; blocked feeds are not sent to the blocked peer', async () => {
    const a = node()
    const b = node()
    const carol = generateKeys()
    followAll(a, [a.id, carol.id])
    followAll(b, [a.id, carol.id])
    a.ebt.block(carol.id, b.id, true) // carol blocks b: a never gives carol's feed to b
    a.store.publish(carol)
    a.store.publish(a.keys)
    const link = connect(a, b)
    await b.store.until(() => b.store.seq(a.id) === 1)
    expect(b.store.seq(carol.id)).toBe(0)
    a.ebt.block(a.id, b.id, true)
    await link.done
    expect(a.ebt.peers()).toEqual([])
    // while blocked, a new stream from b ends at once
    const again = connect(b, a)
    await again.done
    expect(again.bToA).toEqual([])
  })

  test('following a feed during a session fetches it; unfollowing sends -1 and stops forwarding', async () => {
    const a = node()
    const b = node()
    const carol = generateKeys()
    for (let i = 0; i < 5; i++) a.store.publish(carol)
    followAll(a, [a.id, b.id, carol.id])
    followAll(b, [a.id, b.id])
    const link = connect(a, b)
    a.store.publish(a.keys)
    await b.store.until(() => b.store.seq(a.id) === 1)
    expect(b.store.seq(carol.id)).toBe(0)
    b.ebt.request(carol.id, true)
    await b.store.until(() => b.store.seq(carol.id) === 5)
    expect(b.ebt.progress()).toMatchObject({ start: 0 })
    b.ebt.request(carol.id, false)
    a.store.publish(carol)
    a.store.publish(a.keys) // a later message on a followed feed: proves frames were processed
    await b.store.until(() => b.store.seq(a.id) === 2)
    expect(b.store.seq(carol.id)).toBe(5)
    expect(link.bToA).toContainEqual({ [carol.id]: -1 })
    link.abort()
    await link.done
  })
})

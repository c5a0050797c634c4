import { afterEach, describe, expect, test, vi } from 'vitest'
import { connect, createNode, FakeStore, makeFeed, type Node } from './helpers.js'

const nodes: Node[] = []
function groupedNode(opts: Parameters<typeof createNode>[0] = {}): Node {
  const store = new FakeStore()
  store.grouped = true
  const n = createNode(opts, undefined, store)
  nodes.push(n)
  return n
}
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.ebt.close()))
})

describe('received messages are stored in groups spanning feeds', () => {
  test('many small feeds arrive in a few appendRuns calls, each feed complete and in order', async () => {
    const a = groupedNode()
    const b = groupedNode({ maxAppendBatch: 120 })
    const feeds = Array.from({ length: 150 }, (_, i) => makeFeed(1 + (i % 4)))
    for (const f of feeds) a.store.preload(f.values, f.state)
    const ids = [a.id, b.id, ...feeds.map((f) => f.keys.id)]
    for (const n of [a, b]) for (const id of ids) n.ebt.request(id, true)
    const link = connect(a, b)
    await b.store.until(() => feeds.every((f) => b.store.seq(f.keys.id) === f.values.length))
    for (const f of feeds) expect(b.store.feeds.get(f.keys.id)!.values).toEqual(f.values)
    const total = feeds.reduce((n, f) => n + f.values.length, 0)
    expect(b.store.appendCalls).toBe(0)
    // per-feed batches would take 150 calls; groups are capped by maxAppendBatch
    expect(b.store.appendRunsCalls).toBeLessThan(feeds.length / 4)
    expect(b.store.largestGroup).toBeGreaterThan(1)
    expect(b.store.largestGroup).toBeLessThanOrEqual(120)
    expect(b.store.appendedMessages).toBe(total)
    link.abort()
    await link.done
  })

  test('an invalid message stops only its own feed; the rest of the group is stored', async () => {
    const a = groupedNode()
    const b = groupedNode()
    const feeds = Array.from({ length: 20 }, () => makeFeed(5))
    const bad = feeds[7]!
    // a holds (unvalidated) a tampered third message of one feed
    const tampered = bad.values.map((v, i) => (i === 2 ? { ...v, content: { type: 'post', text: 'tampered' } } : v))
    for (const f of feeds) a.store.preload(f === bad ? tampered : f.values, f.state)
    const ids = [a.id, b.id, ...feeds.map((f) => f.keys.id)]
    for (const n of [a, b]) for (const id of ids) n.ebt.request(id, true)
    const link = connect(a, b)
    const good = feeds.filter((f) => f !== bad)
    await b.store.until(() => good.every((f) => b.store.seq(f.keys.id) === 5))
    expect(b.store.seq(bad.keys.id)).toBe(2)
    expect(b.store.feeds.get(bad.keys.id)!.values).toEqual(bad.values.slice(0, 2))
    await vi.waitFor(() => expect(b.logger.lines.map((l) => l.msg)).toContain('ebt: peer sent an invalid message'))
    expect(b.ebt.peers()).toEqual([a.id]) // one bad feed is not enough to drop the peer
    link.abort()
    await link.done
  })
})

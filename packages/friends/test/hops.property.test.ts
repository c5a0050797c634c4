import { type FeedId, generateKeys } from '@ssb/keys'
import fc from 'fast-check'
import { expect, test } from 'vitest'
import { type ContactEdge, type ContactWeight, createFriends } from '../src/index.js'

const ids = Array.from({ length: 10 }, () => generateKeys().id)
const me = ids[0]!

/**
 * Oracle: the hop map as the fixed point of "a feed's value is the best edge value from feeds that
 * pass follows on", iterated from nothing (Jacobi style). It is exact after max + 2 rounds.
 */
function oracle(edges: Map<string, ContactEdge>, max: number): Record<FeedId, number> {
  let hops: Record<FeedId, number> = { [me]: 0 }
  for (let round = 0; round < max + 4; round++) {
    const next: Record<FeedId, number> = { [me]: 0 }
    for (const { source, dest, value } of edges.values()) {
      const h = hops[source]
      if (h === undefined || h < 0 || h >= max || dest === me || dest === source) continue
      const candidate = value >= 0 ? h + value : -h + value
      const current = next[dest]
      if (current === undefined) next[dest] = candidate
      else if (Math.abs(candidate) < Math.abs(current)) next[dest] = candidate
      else if (Math.abs(candidate) === Math.abs(current)) next[dest] = Math.max(candidate, current)
    }
    hops = next
  }
  return hops
}

const weight = fc.constantFrom<ContactWeight>(1, 1, 1, -1, -2)
const edgeArb = fc.record({
  source: fc.integer({ min: 0, max: ids.length - 1 }),
  dest: fc.integer({ min: 0, max: ids.length - 1 }),
  value: weight,
})

test('incremental hops equal a from-scratch computation after every edge', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4 }), fc.array(edgeArb, { minLength: 5, maxLength: 80, size: 'max' }), (max, steps) => {
      const friends = createFriends({ id: me }, { hops: max })
      const replicated = new Set<FeedId>()
      const blocked = new Set<FeedId>()
      friends.onReplicationChange((id, replicate, blockedByUs) => {
        if (replicate) replicated.add(id)
        else replicated.delete(id)
        if (blockedByUs) blocked.add(id)
        else blocked.delete(id)
      })
      const edges = new Map<string, ContactEdge>()
      for (const step of steps) {
        const e: ContactEdge = { source: ids[step.source]!, dest: ids[step.dest]!, value: step.value }
        edges.set(`${e.source} ${e.dest}`, e)
        friends.addEdge(e)
        const expected = oracle(edges, max)
        expect(friends.hops()).toEqual(expected)
        const expectedReplicated = Object.keys(expected).filter((id) => expected[id as FeedId]! >= 0)
        expect([...replicated].sort()).toEqual(expectedReplicated.sort())
        const expectedBlocked = [...edges.values()].filter((x) => x.source === me && x.value === -1).map((x) => x.dest)
        expect([...blocked].sort()).toEqual(expectedBlocked.sort())
      }
    }),
    { numRuns: 300 },
  )
})

test('a bulk load equals the oracle and agrees with incremental updates on top', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.array(edgeArb, { minLength: 300, maxLength: 400 }),
      fc.array(edgeArb, { maxLength: 20, size: 'max' }),
      (max, initial, later) => {
        const friends = createFriends({ id: me }, { hops: max })
        const edges = new Map<string, ContactEdge>()
        const toEdge = (s: (typeof initial)[number]): ContactEdge => ({ source: ids[s.source]!, dest: ids[s.dest]!, value: s.value })
        for (const e of initial.map(toEdge)) edges.set(`${e.source} ${e.dest}`, e)
        friends.addEdges(initial.map(toEdge))
        expect(friends.hops()).toEqual(oracle(edges, max))
        for (const e of later.map(toEdge)) {
          edges.set(`${e.source} ${e.dest}`, e)
          friends.addEdge(e)
        }
        expect(friends.hops()).toEqual(oracle(edges, max))
      },
    ),
    { numRuns: 100 },
  )
})

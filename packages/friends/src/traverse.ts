import type { FeedId } from '@ssb/keys'
import { better, edgeValue, expands } from './hop-math.js'
import type { ContactWeight } from './types.js'

type Adjacency = Map<FeedId, Map<FeedId, ContactWeight>>

/**
 * Full hop computation from `start` (what dynamic-dijkstra `traverse` computes). Nodes are
 * finalised in order of magnitude: a node's value only depends on nodes of smaller magnitude,
 * because every edge adds at least one hop.
 */
export function traverse(edges: Adjacency, start: FeedId, max: number): Map<FeedId, number> {
  const hops = new Map<FeedId, number>([[start, 0]])
  const levels: FeedId[][] = [[start]]
  for (let level = 0; level < levels.length && level < max; level++) {
    const nodes = levels[level]
    if (nodes === undefined) continue
    for (const node of nodes) {
      if (hops.get(node) !== level) continue // superseded by a better value
      const out = edges.get(node)
      if (out === undefined) continue
      for (const [dest, w] of out) {
        if (dest === start) continue
        const current = hops.get(dest)
        const next = better(current, edgeValue(level, w))
        if (next === current || next === undefined) continue
        hops.set(dest, next)
        if (expands(next, max)) (levels[next] ??= []).push(dest)
      }
    }
  }
  return hops
}

// The hop algebra of dynamic-dijkstra/simple.js (used by ssb-friends 4 through layered-graph).
// A value is a hop count: >= 0 reachable by follows, negative = blocked/unfollowed at that depth.

/** The value an edge of weight `w` from a node at `hops` (>= 0) gives its target. */
export function edgeValue(hops: number, w: number): number {
  // follow: one hop further; block: -(hops + 1); unfollow: -(hops + 2)
  return w >= 0 ? hops + w : -hops + w
}

/**
 * The better of two candidate values: the smaller magnitude wins; on a tie the positive one,
 * so a follow and a block from the same depth leave the feed followed (simple.js `min`).
 */
export function better(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  const ma = Math.abs(a)
  const mb = Math.abs(b)
  if (ma === mb) return a > b ? a : b
  return ma < mb ? a : b
}

/** Whether a node at `hops` passes its follows on (simple.js `expand`). */
export function expands(hops: number | undefined, max: number): hops is number {
  return hops !== undefined && hops >= 0 && hops < max
}

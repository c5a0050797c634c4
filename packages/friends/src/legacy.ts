import type { FeedId } from '@ssb/keys'
import type { ContactGraph } from './graph.js'
import type { LegacyValue } from './types.js'

/** ssb-friends legacy.js `toLegacyValue`: follow → true, block → false, unfollow/none → null. */
export function toLegacyValue(v: number | undefined): LegacyValue {
  if (v === undefined) return null
  return v >= 0 ? true : v === -1 ? false : null
}

export type LegacyGraph = Record<FeedId, Record<FeedId, LegacyValue>>

/** ssb-friends `get({source, dest})`, including its shapes for unknown sources. */
export function legacyGet(
  graph: ContactGraph,
  opts: { source?: FeedId; dest?: FeedId } = {},
): LegacyValue | Record<FeedId, LegacyValue> | LegacyGraph {
  if (opts.source) {
    const out = graph.out.get(opts.source)
    if (out !== undefined && opts.dest) return toLegacyValue(out.get(opts.dest))
    const row: Record<FeedId, LegacyValue> = {}
    for (const [dest, v] of out ?? []) row[dest] = toLegacyValue(v)
    return row
  }
  if (opts.dest) {
    const column: Record<FeedId, LegacyValue> = {}
    for (const [source, v] of graph.in.get(opts.dest) ?? []) column[source] = toLegacyValue(v)
    return column
  }
  const all: LegacyGraph = {}
  for (const [source, out] of graph.out) {
    const row: Record<FeedId, LegacyValue> = {}
    for (const [dest, v] of out) row[dest] = toLegacyValue(v)
    all[source] = row
  }
  return all
}

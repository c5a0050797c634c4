import type { FeedId } from '@ssb/keys'
import { type Core, settled } from './core.js'
import { contactEdgeOf } from './derive.js'
import { prefixEnd } from './index-keys.js'
import { type ReadCtx, runStream, scan } from './read.js'
import type { IndexedMsg } from './record.js'
import type { ContactEdge, ContactWeight } from './types.js'

function edgeOfEntry(key: string, value: string): ContactEdge {
  const sep = key.indexOf('\x00')
  return { source: key.slice(1, sep) as FeedId, dest: key.slice(sep + 1) as FeedId, value: Number(value) as ContactWeight }
}

/**
 * The follow graph as edges (latest contact message per author and contact wins): first every
 * current edge, then (live) each new contact message as it is indexed.
 */
export function contactEdges(
  core: Core,
  o: { live?: boolean; old?: boolean; signal?: AbortSignal } = {},
): AsyncIterable<ContactEdge> {
  const old = async function* (ctx: ReadCtx): AsyncGenerator<ContactEdge> {
    for await (const entries of scan(ctx, { gte: 'c', lt: prefixEnd('c') }, true)) {
      for (const [k, v] of entries) yield edgeOfEntry(k, v)
    }
  }
  const live = (m: IndexedMsg): ContactEdge | undefined => {
    const e = contactEdgeOf(m)
    return e === null ? undefined : (e as ContactEdge)
  }
  return runStream(core, o, old, live)
}

export async function getContacts(core: Core): Promise<Record<FeedId, Record<FeedId, ContactWeight>>> {
  await settled(core)
  const graph: Record<string, Record<string, ContactWeight>> = {}
  for await (const e of contactEdges(core)) {
    const row = graph[e.source] ?? (graph[e.source] = {})
    row[e.dest] = e.value
  }
  return graph as Record<FeedId, Record<FeedId, ContactWeight>>
}

export { edgeOfEntry }

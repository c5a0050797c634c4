import { contactOf, extractLinks } from './links.js'
import { PRESENT, encValueOffset, keyOfBacklink, keyOfFeedTime, keyOfMsg } from './index-keys.js'
import { forEachQueryEntry } from './query-index.js'
import { type IndexedMsg, rtsOf } from './record.js'
import type { ContactWeight } from './types.js'

/**
 * Calls `put` for every index entry of `m` that is its own key (k, f, b, q). The sequence and type
 * entries are packed into runs per batch (runs.ts); contact edges, latest-per-feed and seek
 * samples are kept per batch too. Link entries hold the message id so keys-only link queries
 * never touch the log.
 */
export function forEachEntry(m: IndexedMsg, put: (key: string, value: string) => void): void {
  const { kvt, offset, content } = m
  const author = kvt.value.author
  put(keyOfMsg(kvt.key), encValueOffset(offset))
  put(keyOfFeedTime(rtsOf(kvt), offset), PRESENT)
  if (content === null) return
  forEachQueryEntry(m, put)
  const links = extractLinks(content)
  for (let i = 0; i < links.length; i++) {
    const [rel, dest] = links[i]!
    put(keyOfBacklink(dest, rel, author, offset), kvt.key)
  }
}

/** The type a message is indexed under (its readable content's string `type`), or null. */
export function typeOf(m: IndexedMsg): string | null {
  const t = m.content === null ? undefined : m.content.type
  return typeof t === 'string' ? t : null
}

export function contactEdgeOf(m: IndexedMsg): { source: string; dest: string; value: ContactWeight } | null {
  if (m.content === null) return null
  const c = contactOf(m.content)
  return c === null ? null : { source: m.kvt.value.author, dest: c.dest, value: c.value }
}

/** Link rows of one message, deduplicated like the index (same rel and dest once). */
export function linkRowsOf(m: IndexedMsg): Array<[string, string]> {
  if (m.content === null) return []
  const links = extractLinks(m.content)
  if (links.length < 2) return links
  const seen = new Set<string>()
  return links.filter(([rel, dest]) => {
    const k = rel + '\x00' + dest
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

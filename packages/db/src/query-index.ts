import type { KVT } from '@ssb/feed'
import { charwise } from './charwise.js'
import { encValueOffset } from './index-keys.js'
import { type IndexedMsg, rtsOf } from './record.js'
import type { QueryIndexName } from './types.js'

/**
 * The sorted indexes of ssb-query 2.4 (`index.js`, INDEX_VERSION 10): each orders messages by a
 * tuple of fields of `{key, value, timestamp, rts}`; a message lacking one of the fields (an own
 * property at every step) is not in that index. The reference's indexes are "exact": the tuple
 * alone is the LevelDB key, so of two messages with equal tuples only the later one stays. The
 * stored ones here work the same way (a later put overwrites), so a read scans one key per tuple
 * however many messages share it.
 *
 * `log`, `clk`, `typ` and `lor` are answered from indexes @ssb/db keeps anyway (log order,
 * sequence runs, type runs, the feed-time index; readers keep the last of equal tuples there); the
 * others are stored as
 *   q{name}{charwise(tuple)}  → offset (base 36)
 * so that LevelDB order within one index is charwise order, the order ssb-server 16 answers in.
 */
export const QUERY_INDEXES = {
  log: [['timestamp']],
  clk: [['value', 'author'], ['value', 'sequence']],
  typ: [['value', 'content', 'type'], ['timestamp']],
  tya: [['value', 'content', 'type'], ['value', 'timestamp']],
  cha: [['value', 'content', 'channel'], ['timestamp']],
  aty: [['value', 'author'], ['value', 'content', 'type'], ['timestamp']],
  ata: [['value', 'author'], ['value', 'content', 'type'], ['value', 'timestamp']],
  art: [['value', 'content', 'root'], ['value', 'timestamp']],
  lor: [['rts']],
} as const satisfies Record<QueryIndexName, ReadonlyArray<readonly string[]>>

export type { QueryIndexName }

/** Index names in ssb-query's order (the planner breaks ties by this order). */
export const QUERY_INDEX_NAMES = Object.keys(QUERY_INDEXES) as QueryIndexName[]

/** The indexes stored as `q` entries. */
export const STORED_QUERY_INDEXES: readonly QueryIndexName[] = ['tya', 'cha', 'aty', 'ata', 'art']

export const queryPrefix = (name: QueryIndexName): string => 'q' + name
export const isQueryKey = (key: string): boolean => key.charCodeAt(0) === 113 // 'q'

const hasOwn = (o: unknown, k: string): boolean =>
  o !== null && o !== undefined && Object.prototype.hasOwnProperty.call(o, k)

/** ssb-query's view of a message: `rts` added, content as indexed (decrypted when we can). */
export interface QueryView {
  key: string
  value: Record<string, unknown>
  timestamp: number
  rts: number
}

export function queryView(kvt: KVT, content: Record<string, unknown> | null): QueryView {
  const value = kvt.value as unknown as Record<string, unknown>
  return {
    key: kvt.key,
    value: content === null || content === value.content ? value : { ...value, content },
    timestamp: kvt.timestamp,
    rts: rtsOf(kvt),
  }
}

/** The index tuple of a message (flumeview-query `indexes.js`), or null when it is not in it. */
export function tupleOf(name: QueryIndexName, view: QueryView): unknown[] | null {
  const paths = QUERY_INDEXES[name]
  const out: unknown[] = []
  for (const path of paths) {
    let o: unknown = view
    for (const k of path) {
      if (!hasOwn(o, k)) return null
      o = (o as Record<string, unknown>)[k]
    }
    out.push(o)
  }
  return out
}

/** charwise(tuple) of a message for one index, or null (not in it, or not encodable). */
export function encodedTupleOf(name: QueryIndexName, view: QueryView): string | null {
  const t = tupleOf(name, view)
  return t === null ? null : charwise(t)
}

/** Puts the stored query index entries of `m`. */
export function forEachQueryEntry(m: IndexedMsg, put: (key: string, value: string) => void): void {
  if (m.content === null) {
    // Only the content-free indexes could apply, and none of those is stored.
    return
  }
  const view = queryView(m.kvt, m.content)
  const off = encValueOffset(m.offset)
  for (let i = 0; i < STORED_QUERY_INDEXES.length; i++) {
    const name = STORED_QUERY_INDEXES[i]!
    const e = encodedTupleOf(name, view)
    // Messages are indexed in log order, so the later of two equal tuples is put last and wins.
    if (e !== null) put(queryPrefix(name) + e, off)
  }
}

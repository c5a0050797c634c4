import type { KVT } from '@ssb/feed'
import { type Db, type IndexItem, charwise, compareKeys } from '@ssb/db'
import { MAX_BUFFERED_ITEMS } from './constants.js'
import { QueryError } from './errors.js'

/**
 * The machinery behind links2.read and backlinks.read: both plugins index ROWS derived from
 * messages (link rows, or messages tagged with a `dest`) in flumeview-level indexes keyed
 * `[field…, seq]`. We derive the rows on the fly from candidate messages (one feed when the
 * query pins the source, else the whole log), keep those inside the planned key range and
 * sort them by the same charwise key — the reference's order — before the live part.
 * The old part is held in memory to sort it: at most MAX_BUFFERED_ITEMS rows.
 */

export type Path = string | readonly string[]

export interface RowIndex {
  key: string
  value: readonly Path[]
}

type Obj = Record<string, unknown>
export type Msg = KVT & { rts?: number }

const hasOwn = (o: unknown, k: string): boolean =>
  o !== null && o !== undefined && Object.prototype.hasOwnProperty.call(o, k)

/** flumeview-query util.has / get / set with string or array paths. */
export function hasField(path: Path, obj: unknown): boolean {
  if (typeof path === 'string') return hasOwn(obj, path)
  let o = obj
  for (const k of path) {
    if (!hasOwn(o, k)) return false
    o = (o as Obj)[k]
  }
  return true
}

export function getField(path: Path, obj: unknown): unknown {
  if (typeof path === 'string') return obj === null || obj === undefined ? undefined : (obj as Obj)[path]
  let o = obj
  for (const k of path) {
    o = (o as Obj)[k]
    if (!o) return o
  }
  return o
}

export function setField(path: Path, value: unknown, obj: Obj): void {
  if (typeof path === 'string') {
    obj[path] = value
    return
  }
  let o = obj
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') return
    o = (o[k] = (o[k] as Obj) || {}) as Obj
  }
  o[path[path.length - 1]!] = value
}

export interface RowPlan {
  index: RowIndex
  gte: unknown[]
  lte: unknown[]
}

export interface RowSource<R> {
  /** Rows of one message, in the order the reference emits them. */
  rowsOf(msg: Msg): R[]
  /** The feed whose messages are the only candidates, when the plan pins the source. */
  pinnedSource?: (plan: RowPlan) => string | null
  /** For old-only reads: the only messages that can have rows in the plan's range, if known. */
  candidates?: (plan: RowPlan) => AsyncIterable<Msg> | null
}

const SYNC = { sync: true as const }
const isSync = (v: unknown): v is { sync: true } => typeof v === 'object' && v !== null && (v as Obj).sync === true

/** The row's index key (fields, then the receive time standing in for the log sequence), or null if not in that index. */
function keyOf<R>(plan: RowPlan, row: R, msg: Msg): string | null {
  const parts: unknown[] = []
  for (const p of plan.index.value) {
    if (!hasField(p, row)) return null
    parts.push(getField(p, row))
  }
  parts.push(msg.timestamp)
  return charwise(parts)
}

/**
 * The planned index read: candidate messages (with the `{sync: true}` marker when live), rows
 * in range, the old part sorted and deduplicated by key, then live rows as they come.
 */
export async function* readRows<R>(
  db: Pick<Db, 'readIndex'>,
  src: RowSource<R>,
  plan: RowPlan,
  opts: { reverse: boolean; old: boolean; live: boolean; sync: boolean; signal?: AbortSignal },
): AsyncGenerator<R | { sync: true }> {
  const lo = charwise(plan.gte)
  const hi = charwise(plan.lte)
  if (lo === null || hi === null) throw new QueryError('QUERY_INVALID', 'range bounds must be JSON scalars or arrays')
  const inRange = (k: string | null): k is string => k !== null && compareKeys(k, lo) >= 0 && compareKeys(k, hi) <= 0
  const feed = src.pinnedSource?.(plan) ?? null
  const narrow = !opts.live && feed === null ? (src.candidates?.(plan) ?? null) : null
  const items: AsyncIterable<IndexItem | Msg> = narrow ?? db.readIndex({
    index: feed !== null ? 'clk' : 'log',
    gte: feed !== null ? [feed, null] : [null],
    lte: feed !== null ? [feed, undefined] : [undefined],
    old: opts.old,
    live: opts.live,
    sync: true,
    ...(opts.signal ? { signal: opts.signal } : {}),
  })
  let oldDone = !opts.old
  const old: Array<[string, R]> = []
  const flush = function* (): Generator<R> {
    old.sort((a, b) => compareKeys(a[0], b[0]))
    if (opts.reverse) old.reverse()
    let last: string | null = null
    for (const [k, r] of old) {
      if (k === last) continue
      last = k
      yield r
    }
    old.length = 0
  }
  for await (const item of items) {
    if (isSync(item)) {
      if (!oldDone) {
        oldDone = true
        yield* flush()
        if (opts.sync) yield SYNC
      }
      continue
    }
    const msg = item as Msg
    for (const row of src.rowsOf(msg)) {
      const k = keyOf(plan, row, msg)
      if (!inRange(k)) continue
      if (oldDone) yield row
      else {
        if (old.length >= MAX_BUFFERED_ITEMS) throw new QueryError('QUERY_LIMIT_EXCEEDED', `more than ${MAX_BUFFERED_ITEMS} rows to sort; narrow the query`)
        old.push([k, row])
      }
    }
  }
  if (!oldDone) yield* flush()
}

/** A plain log scan turned into rows (the reference's no-index path: no range, no sorting). */
export async function* scanRows<R>(
  db: Pick<Db, 'createLogStream'>,
  src: RowSource<R>,
  opts: { reverse: boolean; old?: boolean; live: boolean; limit?: number; signal?: AbortSignal },
): AsyncGenerator<R> {
  const stream = db.createLogStream({
    reverse: opts.reverse,
    live: opts.live,
    private: true,
    ...(opts.old !== undefined ? { old: opts.old } : {}),
    ...(opts.limit !== undefined && opts.limit > 0 ? { limit: opts.limit } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  })
  for await (const m of stream) yield* src.rowsOf(m as Msg)
}

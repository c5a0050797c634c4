import { type Db, type Prefilter, QUERY_INDEXES, type QueryIndexName, sliced, slicesOf } from '@ssb/db'
import { QueryError } from './errors.js'
import { filterFields, queryFields } from './fields.js'
import { type Stage, checkSize, compileQuery, runStageSlices } from './mfr.js'
import { indexBounds, indexBySort, selectIndex } from './plan.js'

/** query.read / query.explain options, as ssb-query 2.4 takes them. */
export interface QueryReadOptions {
  /**
   * An array of map-filter-reduce stages (its first `$filter` picks the index), or a bare
   * filter object (which only picks the index and range: nothing is filtered), or either as
   * a JSON string.
   */
  query?: unknown
  live?: boolean
  old?: boolean
  reverse?: boolean
  /** Items to emit after all stages (a positive integer; anything else means no limit). */
  limit?: number
  /** With live and old: `false` leaves out the `{sync: true}` marker between the two parts. */
  sync?: boolean
  /**
   * For transports (the server's RPC handler): whole messages may come as `RawJson` from
   * `@ssb/db`, their exact JSON text straight from the store, when the query is at most one
   * `$filter` read through an index. In-process callers leave this off.
   */
  raw?: boolean
  signal?: AbortSignal
}

/** What query.explain answers: the index and its bounds, or a full log scan. */
export type QueryPlan =
  | {
      index: QueryIndexName
      gte: unknown[]
      lte: unknown[]
      reverse: boolean
      old: boolean
      live: boolean
      sync?: boolean
      scores: Record<string, number>
    }
  | { scan: true; index?: undefined; reverse: boolean; old: boolean; live: boolean; sync: boolean }

export interface Query {
  /** Messages (`{key, value, timestamp, rts}`, or whatever the stages make of them). */
  read(opts?: QueryReadOptions | string): AsyncIterable<unknown>
  explain(opts?: QueryReadOptions | string): QueryPlan
}

type Obj = Record<string, unknown>

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s)
  } catch (err) {
    throw new QueryError('QUERY_INVALID', 'query is not valid JSON', { cause: err })
  }
}

/** ssb-query's argument handling: a JSON string is the query; `opts.query` may be JSON too. */
export function normalizeOptions(arg: unknown): QueryReadOptions {
  if (arg === undefined || arg === null) return {}
  if (typeof arg === 'string') {
    const query = parseJson(arg)
    checkSize(query)
    return { query }
  }
  if (typeof arg !== 'object' || Array.isArray(arg)) throw new QueryError('QUERY_INVALID', 'options must be an object')
  const o = { ...(arg as QueryReadOptions) }
  if (typeof o.query === 'string') o.query = parseJson(o.query)
  if (o.query !== undefined) checkSize(o.query)
  for (const k of ['live', 'old', 'reverse', 'sync'] as const) {
    if (o[k] !== undefined && o[k] !== null && typeof o[k] !== 'boolean') throw new QueryError('QUERY_INVALID', `${k} must be a boolean`)
  }
  if (o.limit !== undefined && o.limit !== null && typeof o.limit !== 'number') throw new QueryError('QUERY_INVALID', 'limit must be a number')
  return o
}

/** flumeview-query explain(): the first stage's `$filter` (or a bare object) and a final `$sort`. */
export function explain(arg?: QueryReadOptions | string): QueryPlan {
  const opts = normalizeOptions(arg)
  let q: unknown = {}
  let sort: unknown
  const query = opts.query
  if (Array.isArray(query)) {
    const first = query[0] as Obj | null | undefined
    q = (first && typeof first === 'object' && first.$filter) || {}
    const last = query[query.length - 1] as Obj | null | undefined
    sort = last && typeof last === 'object' ? last.$sort : undefined
  } else if (query) {
    q = query
  }
  const reverse = opts.reverse === true
  const old = opts.old !== false
  const live = opts.live === true || opts.old === false
  let index: QueryIndexName | null
  let scores: Record<string, number> = {}
  if (sort) {
    index = indexBySort(sort)
  } else {
    const r = selectIndex(q)
    index = r.index
    scores = r.scores
  }
  if (index === null) return { scan: true, reverse, old, live, sync: opts.sync === true }
  const { gte, lte } = indexBounds(index, q)
  const plan: QueryPlan = { index, gte, lte, reverse, old, live, scores }
  if (typeof opts.sync === 'boolean') plan.sync = opts.sync
  return plan
}

/**
 * The query's first stage, when it is a `$filter` on some fields only, as a test the store can
 * make on those fields before reading the rest of each record; null otherwise.
 */
function firstFilter(query: unknown[], stages: Stage[]): { rule: unknown; where: Prefilter } | null {
  const first = stages[0]
  const rule = (query.find(Boolean) as { $filter?: unknown } | undefined)?.$filter
  if (first?.kind !== 'filter' || rule === undefined) return null
  const fields = filterFields(rule)
  return fields === null ? null : { rule, where: { fields, test: first.test as (m: Record<string, unknown>) => boolean } }
}

/**
 * The first filter as a prefilter for a read whose stages still run after it. Not worth it when
 * the filter only names the fields of the index being read: the range already leaves out nearly
 * everything it would.
 */
function prefilter(where: Prefilter, plan: QueryPlan): Prefilter | undefined {
  if (!('scan' in plan)) {
    const indexed = QUERY_INDEXES[plan.index] as ReadonlyArray<readonly string[]>
    if (where.fields.every((f) => indexed.some((p) => samePath(p, f)))) return undefined
  }
  return where
}

/** The query without its first stage (null stages, which compileQuery skips, stay). */
function withoutFirstStage(query: unknown[]): unknown[] {
  const at = query.findIndex(Boolean)
  return [...query.slice(0, at), ...query.slice(at + 1)]
}

const samePath = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((k, i) => k === b[i])

/**
 * Whether a `$filter` only asks the leading fields of `index` (no gaps: the range is
 * lexicographic) to equal strings or booleans: then the index range read for it holds exactly
 * the messages it accepts.
 */
function exactOnIndex(rule: unknown, index: QueryIndexName): boolean {
  const indexed = QUERY_INDEXES[index] as ReadonlyArray<readonly string[]>
  const used = new Set<number>()
  const walk = (r: unknown, path: string[]): boolean => {
    if (typeof r === 'string' || typeof r === 'boolean') {
      const i = indexed.findIndex((p) => samePath(p, path))
      if (i === -1) return false
      used.add(i)
      return true
    }
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return false
    const keys = Object.keys(r)
    return keys.length > 0 && keys.every((k) => k[0] !== '$' && walk((r as Record<string, unknown>)[k], [...path, k]))
  }
  if (!walk(rule, [])) return false
  for (let i = 0; i < used.size; i++) if (!used.has(i)) return false
  return true
}

async function* take(src: AsyncIterable<readonly unknown[]>, n: number): AsyncGenerator<readonly unknown[]> {
  if (n <= 0) return
  for await (const slice of src) {
    if (slice.length >= n) {
      yield slice.length === n ? slice : slice.slice(0, n)
      return
    }
    n -= slice.length
    yield slice
  }
}

/**
 * query.read and query.explain over a store: the plan reads one of ssb-query's indexes
 * (Db.readIndex) or scans the log, then the query's stages run, then `limit` applies — the
 * same pipeline, and so the same items in the same order, as ssb-server 16.
 */
export function createQuery(db: Pick<Db, 'readIndex' | 'createLogStream'>): Query {
  return {
    explain,
    read(arg) {
      const opts = normalizeOptions(arg)
      const plan = explain(opts)
      const stages: Stage[] | null = Array.isArray(opts.query) ? compileQuery(opts.query) : null
      const signal = opts.signal
      const query = opts.query as unknown[]
      const first = stages !== null ? firstFilter(query, stages) : null
      // The index range may already be exactly the first $filter: then it need not run again (nor
      // its fields be read).
      const exact = first !== null && !('scan' in plan) && exactOnIndex(first.rule, plan.index)
      const run = exact && stages !== null ? stages.slice(1) : stages
      // Stages that only look at some fields let the store skip the rest of each record.
      const fields = run === null ? null : queryFields(exact ? withoutFirstStage(query) : query)
      let where = first !== null ? prefilter(first.where, plan) : undefined
      // Raw: the store applies the one $filter itself (on every item) unless the index range
      // already is exactly that filter; nothing is parsed to be re-serialised and no stage runs.
      let raw = false
      if (opts.raw === true && !('scan' in plan)) {
        if (stages === null) raw = true
        else if (stages.length === 1 && first !== null) {
          raw = true
          where = exact ? undefined : first.where
        }
      }
      const open = (): AsyncIterable<unknown> =>
        'scan' in plan
          ? db.createLogStream({
              old: plan.old,
              live: plan.live,
              reverse: plan.reverse,
              private: true,
              ...(where ? { where } : {}),
              ...(signal ? { signal } : {}),
            })
          : db.readIndex({
              index: plan.index,
              gte: plan.gte,
              lte: plan.lte,
              reverse: plan.reverse,
              old: plan.old,
              live: plan.live,
              sync: opts.sync !== false,
              ...(fields !== null ? { fields } : {}),
              ...(where ? { where } : {}),
              ...(raw ? { raw } : {}),
              ...(signal ? { signal } : {}),
            })
      const limit = opts.limit
      const n = typeof limit === 'number' && Number.isInteger(limit) && limit > 0 ? limit : Infinity
      // Stages and limit work on slices of items (one async step per slice, see @ssb/db SLICES).
      return sliced(() => {
        let src = slicesOf(open())
        if (run !== null && run.length > 0 && !raw) src = runStageSlices(src, run)
        return take(src, n)
      })
    },
  }
}

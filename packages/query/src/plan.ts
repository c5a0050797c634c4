import { QUERY_INDEXES, QUERY_INDEX_NAMES, type QueryIndexName } from '@ssb/db'

/**
 * flumeview-query 8's planner (`select.js`, `query.js`, `explain.js`) over ssb-query 2.4's index
 * list, reproduced so that the same query reads the same index — and therefore answers in the
 * same order — as ssb-server 16.
 *
 * Selection: each index is scored field by field from the left: an exact value in the query's
 * first `$filter` scores 2, a range ($lt/$gt/$lte/$gte/$prefix/$is) 1, and the first field
 * without either stops the count; `score = score² + field`. The highest score wins (ties: the
 * earlier index); zero everywhere means a full log scan. A final `$sort` stage instead picks
 * the index whose field list equals the sort paths exactly — or a scan when none does.
 * Bounds: per field the exact value, or the range's lower/upper end, or below/above everything.
 */

type Obj = Record<string, unknown>

/** flumeview-query's LO/HI: null sorts below every key, undefined above. */
export const LO = null
export const HI = undefined

const hasOwn = (o: unknown, k: string): boolean =>
  o !== null && o !== undefined && Object.prototype.hasOwnProperty.call(o, k)
const isObject = (o: unknown): o is Obj => typeof o === 'object' && o !== null && !Array.isArray(o)
const isBasic = (v: unknown): boolean =>
  v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'

/** flumeview-query util.has: an own property at every step. */
function hasPath(path: readonly string[], obj: unknown): boolean {
  let o = obj
  for (const k of path) {
    if (!hasOwn(o, k)) return false
    o = (o as Obj)[k]
  }
  return true
}

/** flumeview-query util.get: stops at the first falsy step. */
function getPath(path: readonly string[], obj: unknown): unknown {
  let o = obj
  for (const k of path) {
    o = (o as Obj)[k]
    if (!o) return o
  }
  return o
}

/** map-filter-reduce util.isExact. */
export function isExact(v: unknown): boolean {
  if (isBasic(v)) return true
  if (Array.isArray(v)) return v.every(isExact)
  return isObject(v) && hasOwn(v, '$eq')
}

const RANGE_TYPES: Record<string, true> = { string: true, boolean: true, array: true, undefined: true, null: true }

/** map-filter-reduce util.isRange. */
export function isRange(v: unknown): boolean {
  if (v === null || v === undefined) return false
  if (typeof v === 'object' || typeof v === 'string') {
    const o = v as Obj
    if (Array.isArray(v)) return v.some(isRange)
    if (typeof v === 'object' && (o.$prefix || (typeof o.$is === 'string' && hasOwn(RANGE_TYPES, o.$is)))) return true
    return hasOwn(v, '$lt') || hasOwn(v, '$gt') || hasOwn(v, '$lte') || hasOwn(v, '$gte')
  }
  return false
}

const LOWER_BY_TYPE: Record<string, unknown> = { string: '', boolean: false, array: [], undefined: undefined, null: null }
const UPPER_BY_TYPE: Record<string, unknown> = { string: [], boolean: true, array: undefined, undefined: undefined, null: null }

function lower(v: unknown): unknown {
  if (isBasic(v)) return v
  if (isObject(v)) {
    if (Array.isArray(v.$prefix)) return [...v.$prefix, HI]
    if (typeof v.$prefix === 'string') return v.$prefix
    if (hasOwn(v, '$gt')) return v.$gt
    if (hasOwn(v, '$gte')) return v.$gte
    if (hasOwn(v, '$lt')) return LO
    if (hasOwn(v, '$lte')) return LO
    if (hasOwn(v, '$is')) return LOWER_BY_TYPE[v.$is as string]
  }
  if (Array.isArray(v)) return v.map(lower)
  return undefined
}

function upper(v: unknown): unknown {
  if (isBasic(v)) return v
  if (isObject(v)) {
    if (Array.isArray(v.$prefix)) return [...v.$prefix, LO]
    if (typeof v.$prefix === 'string') return v.$prefix + '\uffff'
    if (hasOwn(v, '$lt')) return v.$lt
    if (hasOwn(v, '$lte')) return v.$lte
    if (hasOwn(v, '$gt')) return HI
    if (hasOwn(v, '$gte')) return HI
    if (hasOwn(v, '$is')) return UPPER_BY_TYPE[v.$is as string]
  }
  if (Array.isArray(v)) return v.map(upper)
  return undefined
}

/** An exact value as a key: `{$eq: x}` stands for x (the reference would fail to encode it). */
function exactKey(v: unknown): unknown {
  if (isObject(v) && hasOwn(v, '$eq')) return v.$eq
  if (Array.isArray(v)) return v.map(exactKey)
  return v
}

function bound(value: unknown, range: (v: unknown) => unknown, sentinel: unknown): unknown {
  if (value === null || value === undefined) return sentinel
  if (isRange(value)) return range(value)
  if (isExact(value)) return exactKey(value)
  return sentinel
}

export interface IndexPlan {
  index: QueryIndexName
  gte: unknown[]
  lte: unknown[]
  scores: Record<string, number>
}

/** flumeview-query select(): the best index for a `$filter` object, or null (scan). */
export function selectIndex(q: unknown): { index: QueryIndexName | null; scores: Record<string, number> } {
  const scores: Record<string, number> = {}
  const fieldScore = (path: readonly string[]): number => {
    if (!hasPath(path, q)) return 0
    const v = getPath(path, q)
    return isExact(v) ? 2 : isRange(v) ? 1 : 0
  }
  let best: QueryIndexName | null = null
  let bestScore = 0
  for (const name of QUERY_INDEX_NAMES) {
    let score = 0
    for (const path of QUERY_INDEXES[name]) {
      const s = fieldScore(path)
      if (!s) break
      score = score * score + s
      scores[name] = score
    }
    if (score > bestScore) {
      bestScore = score
      best = name
    }
  }
  return { index: best, scores }
}

/** flumeview-query query(): the bounds of `index` for the `$filter` object `q`. */
export function indexBounds(index: QueryIndexName, q: unknown): { gte: unknown[]; lte: unknown[] } {
  const paths = QUERY_INDEXES[index]
  return {
    gte: paths.map((p) => bound(getPath(p, q), lower, LO)),
    lte: paths.map((p) => bound(getPath(p, q), upper, HI)),
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameJson(x, b[i]))
  return false
}

/** flumeview-query util.findByPath: the index whose field list is exactly `sort`. */
export function indexBySort(sort: unknown): QueryIndexName | null {
  for (const name of QUERY_INDEX_NAMES) {
    const paths = QUERY_INDEXES[name] as ReadonlyArray<readonly string[]>
    // ssb-query's `log` index lists its one field as the string 'timestamp'
    const declared = name === 'log' ? ['timestamp'] : paths
    if (sameJson(declared, sort)) return name
  }
  return null
}

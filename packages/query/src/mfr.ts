import { type Sliced, sliced, slicesOf } from '@ssb/db'
import { compare } from './compare.js'
import { MAX_BUFFERED_ITEMS, MAX_QUERY_DEPTH, MAX_QUERY_NODES, MAX_QUERY_STAGES } from './constants.js'
import { QueryError } from './errors.js'
import { MAP_OPS, REDUCE_OPS, checkMapArg, getPath, hasDollar, hasOwn, prop } from './ops.js'

/**
 * map-filter-reduce 3.2 (the version ssb-query 2.4 / flumeview-query 8 run), rebuilt: a query is
 * an array of stages `{$filter}`, `{$map}`, `{$reduce}`, `{$sort}`, applied in order. The
 * semantics follow the original closely, quirks included, because clients rely on them:
 * - `$filter`: objects/arrays match field by field (extra fields in the value are fine), scalars
 *   match with `===`, `{$op: arg}` objects apply operators; `{sync: true}` markers pass.
 * - `$map`: a path (string, integer, array of steps) or `true` picks a value; an object template
 *   builds an object whose fields are each mapped from the WHOLE value; falsy results are dropped.
 * - `$reduce`: `{$count}`, `$sum`, `$product`, `$max`, `$min`, `$collect`; an object template
 *   whose plain paths become group keys, groups ordered by typewise comparison; the result is
 *   flattened (an array → its items, an object → its values).
 * - `$sort`: array of paths (or `{$reverse: path}`), typewise order, stable.
 * Stricter than the original where it would silently ignore input: unknown `$` operators,
 * operator objects mixed with plain fields, nested stages and reducers where a value is expected
 * are rejected with QueryError, and size limits apply (constants.ts).
 */

type Getter = (v: unknown) => unknown
type Reducer = (acc: unknown, item: unknown) => unknown
type Made = { kind: 'get'; fn: Getter } | { kind: 'reduce'; fn: Reducer }

export type Stage =
  | { kind: 'filter'; test: Getter }
  | { kind: 'map'; map: Getter }
  | { kind: 'reduce'; reduce: Reducer }
  | { kind: 'sort'; compare: (a: unknown, b: unknown) => number }

type Obj = Record<string, unknown>

const isObject = (o: unknown): o is Obj => typeof o === 'object' && o !== null && !Array.isArray(o)
const isSync = (v: unknown): boolean => typeof v === 'object' && v !== null && (v as Obj).sync === true && hasOwn(v, 'sync')

/** Checks depth and size before compiling, so a hostile query costs O(limit) to reject. */
export function checkSize(q: unknown): void {
  let nodes = 0
  const walk = (v: unknown, depth: number): void => {
    if (++nodes > MAX_QUERY_NODES) throw new QueryError('QUERY_TOO_LARGE', `query has more than ${MAX_QUERY_NODES} parts`)
    if (typeof v !== 'object' || v === null) {
      if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') {
        throw new QueryError('QUERY_INVALID', 'query must be JSON')
      }
      return
    }
    if (depth >= MAX_QUERY_DEPTH) throw new QueryError('QUERY_TOO_LARGE', `query nests deeper than ${MAX_QUERY_DEPTH}`)
    if (Array.isArray(v)) for (const x of v) walk(x, depth + 1)
    else for (const k in v) walk((v as Obj)[k], depth + 1)
  }
  walk(q, 0)
}

const STAGES = new Set(['$filter', '$map', '$reduce', '$sort'])

function unknownOp(k: string): QueryError {
  return new QueryError('QUERY_UNKNOWN_OPERATOR', `unknown operator: ${k}`)
}

function getter(rule: unknown, what: string): Getter {
  const m = make(rule)
  if (m.kind !== 'get') throw new QueryError('QUERY_INVALID', `${what}: a reduction (${JSON.stringify(rule)}) cannot be used here`)
  return m.fn
}

/** map-filter-reduce make(): a getter (one argument) or a reducer (two). */
function make(rule: unknown): Made {
  if (typeof rule === 'string') return { kind: 'get', fn: (v) => prop(v, rule) }
  if (typeof rule === 'number' && Number.isInteger(rule)) {
    return {
      kind: 'get',
      fn: (v) => {
        if (rule >= 0) return prop(v, rule)
        const len = prop(v, 'length')
        return typeof len === 'number' ? prop(v, len + rule) : undefined
      },
    }
  }
  if (rule === true) return { kind: 'get', fn: (v) => v }
  if (Array.isArray(rule)) {
    const steps = rule.map((r) => getter(r, 'path step'))
    return {
      kind: 'get',
      fn: (v) => {
        let o = v
        for (let i = 0; i < steps.length; i++) o = steps[i]!(o)
        return o
      },
    }
  }
  if (isObject(rule)) {
    const keys = Object.keys(rule)
    for (const k of keys) {
      if (k[0] !== '$') throw new QueryError('QUERY_INVALID', `operator object mixes ${k} with $-operators`)
      const name = k.slice(1)
      if (!hasOwn(MAP_OPS, name) && !hasOwn(REDUCE_OPS, name)) {
        if (STAGES.has(k)) throw new QueryError('QUERY_INVALID', `${k} is a stage, not an operator`)
        throw unknownOp(k)
      }
    }
    const mapKeys = keys.filter((k) => hasOwn(MAP_OPS, k.slice(1)))
    if (mapKeys.length > 0) {
      if (mapKeys.length !== keys.length) throw new QueryError('QUERY_INVALID', 'operator object mixes value operators with reductions')
      const fns = mapKeys.map((k) => {
        const op = MAP_OPS[k.slice(1)]!
        const arg = rule[k]
        checkMapArg(k.slice(1), arg)
        return (v: unknown) => op(v, arg)
      })
      if (fns.length === 1) return { kind: 'get', fn: fns[0]! }
      return {
        kind: 'get',
        fn: (v) => {
          let r: unknown = fns[0]!(v)
          for (let i = 1; i < fns.length && r; i++) r = fns[i]!(v)
          return r
        },
      }
    }
    const k = keys[0]
    if (k !== undefined) {
      const op = REDUCE_OPS[k.slice(1)]!
      const get = getter(rule[k], k)
      return { kind: 'reduce', fn: (a, b) => op(a, get(b)) }
    }
  }
  throw new QueryError('QUERY_INVALID', `could not process: ${JSON.stringify(rule)}`)
}

function makeFilter(rule: unknown): Getter {
  if (typeof rule === 'object' && rule !== null && !hasDollar(rule)) {
    const entries = Object.keys(rule).map((k) => [k, makeFilter((rule as Obj)[k])] as const)
    return (value) => {
      if (value === null || value === undefined) return false
      for (let i = 0; i < entries.length; i++) {
        const [k, test] = entries[i]!
        if (!test(prop(value, k))) return false
      }
      return true
    }
  }
  if (rule === null || typeof rule === 'string' || typeof rule === 'number' || typeof rule === 'boolean') {
    return (v) => v === rule
  }
  return getter(rule, '$filter')
}

function makeMap(rule: unknown): Getter {
  if (isObject(rule) && !hasDollar(rule)) {
    const entries = Object.keys(rule).map((k) => [k, rule[k] === true ? null : makeMap(rule[k])] as const)
    return (value) => {
      if (value === null || value === undefined) return undefined
      if (entries.length === 0) return undefined
      const out: Obj = {}
      for (const [k, fn] of entries) out[k] = fn === null ? prop(value, k) : fn(value)
      return out
    }
  }
  return getter(rule, '$map')
}

function makeReduce(rule: unknown): Reducer {
  const gets: Getter[] = []
  const sets: unknown[] = []
  const build = (r: unknown, path: string[]): Made => {
    if (isObject(r) && !hasDollar(r)) {
      const parts = Object.keys(r).map((k) => [k, build(r[k], [...path, k])] as const)
      return {
        kind: 'reduce',
        fn: (a, b) => {
          const acc = (a || {}) as Obj
          const out: Obj = {}
          for (const [k, m] of parts) out[k] = acc[k] = m.kind === 'get' ? m.fn(b) : m.fn(acc[k], b)
          return out
        },
      }
    }
    const m = make(r)
    if (m.kind === 'get') {
      gets.push(m.fn)
      sets.push(path.length === 1 ? path[0] : path)
    }
    return m
  }
  const top = build(rule, [])
  if (top.kind !== 'reduce') throw new QueryError('QUERY_INVALID', '$reduce needs a reduction or an object of them')
  if (gets.length === 0) return top.fn
  const reduce = top.fn
  // The group keys of each group, kept beside the groups (they are what getPath would read back
  // from each group: every reduction step writes the latest item's keys).
  let cache: { groups: unknown[]; keys: unknown[][] } | null = null
  const cmp = (x: unknown[], y: unknown[]): number => {
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return compare(x[i], y[i])
    return 0
  }
  return (a, b) => {
    const groups = (a || []) as unknown[]
    if (cache === null || cache.groups !== groups) cache = { groups, keys: groups.map((g) => sets.map((s) => getPath(g, s))) }
    const keys = cache.keys
    const needle = gets.map((g) => g(b))
    let lo = 0
    let hi = groups.length - 1
    while (lo <= hi) {
      const mid = lo + ((hi - lo) >>> 1)
      const c = cmp(keys[mid]!, needle)
      if (c < 0) lo = mid + 1
      else if (c > 0) hi = mid - 1
      else {
        groups[mid] = reduce(groups[mid], b)
        keys[mid] = needle
        return groups
      }
    }
    if (groups.length >= MAX_BUFFERED_ITEMS) throw new QueryError('QUERY_LIMIT_EXCEEDED', `$reduce makes more than ${MAX_BUFFERED_ITEMS} groups`)
    groups.splice(lo, 0, reduce(undefined, b))
    keys.splice(lo, 0, needle)
    return groups
  }
}

/** libnested get (compare-at-paths): objects and arrays only, a scalar path or a list of steps. */
function nestedGet(obj: unknown, path: unknown): unknown {
  if (typeof obj !== 'object' || obj === null) return undefined
  if (typeof path === 'string' || typeof path === 'number') return prop(obj, path)
  if (!Array.isArray(path)) return obj
  let o: unknown = obj
  for (let i = 0; i < path.length; i++) {
    o = prop(o, path[i] as string)
    if (o === null || o === undefined) return undefined
  }
  return o
}

function makeSort(paths: unknown): (a: unknown, b: unknown) => number {
  if (!Array.isArray(paths)) throw new QueryError('QUERY_INVALID', '$sort needs an array of paths')
  return (a, b) => {
    let r = 0
    let reverse = 1 // as compare-at-paths: once a $reverse path is met, the rest compare reversed too
    for (const p of paths) {
      let path: unknown = p
      if (isObject(p) && p.$reverse) {
        path = p.$reverse
        reverse = -1
      }
      r = compare(nestedGet(a, path), nestedGet(b, path))
      if (r !== 0) return r * reverse
    }
    return r
  }
}

/** Compiles a query array (null stages are skipped, as in the original). */
export function compileQuery(query: unknown): Stage[] {
  if (!Array.isArray(query)) throw new QueryError('QUERY_INVALID', 'query must be an array of stages')
  checkSize(query)
  const stages = query.filter(Boolean)
  if (stages.length > MAX_QUERY_STAGES) throw new QueryError('QUERY_TOO_LARGE', `query has more than ${MAX_QUERY_STAGES} stages`)
  return stages.map((s): Stage => {
    if (!isObject(s)) throw new QueryError('QUERY_INVALID', 'each stage must be an object like {$filter: …}')
    const keys = Object.keys(s)
    if (keys.length !== 1) throw new QueryError('QUERY_INVALID', 'each stage must have exactly one key ($filter, $map, $reduce or $sort)')
    const k = keys[0]!
    const rule = s[k]
    switch (k) {
      case '$filter':
        return { kind: 'filter', test: makeFilter(rule) }
      case '$map':
        return { kind: 'map', map: makeMap(rule) }
      case '$reduce':
        return { kind: 'reduce', reduce: makeReduce(rule) }
      case '$sort':
        return { kind: 'sort', compare: makeSort(rule) }
      default:
        throw new QueryError('QUERY_UNKNOWN_OPERATOR', `unknown function: ${k}`)
    }
  })
}

type Slices = AsyncIterable<readonly unknown[]>

/** One stage over slices of items: one async step per slice, not per item. */
async function* applyStage(src: Slices, stage: Stage): AsyncGenerator<readonly unknown[]> {
  switch (stage.kind) {
    case 'filter': {
      const test = stage.test
      for await (const slice of src) {
        const out = slice.filter((v) => isSync(v) || test(v))
        if (out.length > 0) yield out
      }
      return
    }
    case 'map': {
      const map = stage.map
      for await (const slice of src) {
        const out: unknown[] = []
        for (const v of slice) {
          const o = isSync(v) ? v : map(v)
          if (o) out.push(o)
        }
        if (out.length > 0) yield out
      }
      return
    }
    case 'reduce': {
      let acc: unknown = null
      for await (const slice of src) for (const v of slice) acc = stage.reduce(acc, v)
      const out = Array.isArray(acc) ? acc : typeof acc === 'object' && acc !== null ? Object.values(acc) : acc !== null && acc !== undefined ? [acc] : []
      if (out.length > 0) yield out
      return
    }
    case 'sort': {
      const all: unknown[] = []
      for await (const slice of src) {
        if (all.length + slice.length > MAX_BUFFERED_ITEMS) throw new QueryError('QUERY_LIMIT_EXCEEDED', `$sort holds more than ${MAX_BUFFERED_ITEMS} items`)
        for (const v of slice) all.push(v)
      }
      all.sort(stage.compare)
      if (all.length > 0) yield all
    }
  }
}

/** Runs compiled stages over slices of a source (see @ssb/db SLICES). */
export async function* runStageSlices(src: Slices, stages: readonly Stage[]): AsyncGenerator<readonly unknown[]> {
  let out = src
  for (const s of stages) out = applyStage(out, s)
  yield* out
}

/** Runs compiled stages over a source; the result can be read in slices too. */
export function runStages(src: AsyncIterable<unknown>, stages: readonly Stage[]): Sliced<unknown> {
  return sliced(() => runStageSlices(slicesOf(src), stages))
}

/** Applies a query to an in-memory list (tests, small inputs). */
export async function applyQuery(query: unknown, items: Iterable<unknown>): Promise<unknown[]> {
  const stages = compileQuery(query)
  async function* src(): AsyncGenerator<unknown> {
    yield* items
  }
  const out: unknown[] = []
  for await (const v of runStages(src(), stages)) out.push(v)
  return out
}

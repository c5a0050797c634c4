import { MAX_COLLECT_ITEMS } from './constants.js'
import { QueryError } from './errors.js'

/**
 * The parts of map-filter-reduce 3.2 that rules are made of: own-property path lookups and the
 * `$` operators. mfr.ts compiles rules from them; fields.ts reads rules with the same notions.
 */

export const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k)

/** `value[k]`, limited to own properties (no prototype lookups: `constructor`, `__proto__`). */
export function prop(v: unknown, k: string | number): unknown {
  if (v === null || v === undefined) return undefined
  if (typeof v !== 'object' && typeof v !== 'string') return undefined
  const key = String(k)
  return Object.prototype.hasOwnProperty.call(v, key) ? (v as Record<string, unknown>)[key] : undefined
}

/** map-filter-reduce util.get: a string or array path; `true` is the value itself. */
export function getPath(obj: unknown, path: unknown): unknown {
  if (typeof path === 'string') return prop(obj, path)
  if (Array.isArray(path)) {
    let o = obj
    for (let i = 0; i < path.length; i++) {
      if (o === null || o === undefined) return undefined
      o = prop(o, path[i] as string)
    }
    return o
  }
  if (path === true) return obj
  return undefined
}

/** Whether an object is an operator object (a `$` key) rather than a template or a match. */
export function hasDollar(o: object): boolean {
  for (const k in o) if (k[0] === '$') return true
  return false
}

export const MAP_OPS: Record<string, (a: unknown, arg: unknown) => unknown> = {
  lt: (a, b) => (a as number) < (b as number),
  gt: (a, b) => (a as number) > (b as number),
  lte: (a, b) => (a as number) <= (b as number),
  gte: (a, b) => (a as number) >= (b as number),
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  not: (a) => !a,
  truthy: (a) => !!a,
  prefix: (a, str) => {
    if (Array.isArray(str)) return Array.isArray(a) && a.length > str.length && str.every((v, i) => a[i] === v)
    return typeof a === 'string' && a.substring(0, (str as string).length) === str
  },
  is: (a, type) => typeof a === type,
  in: (a, b) => (b as unknown[] | string).indexOf(a as string) !== -1,
  type: (a) => typeof a,
  int: (a) => Number.isInteger(a),
  mod: (a, b) => (a as number) % (b as number),
  get: (a, path) => getPath(a, path),
}

export function checkMapArg(op: string, arg: unknown): void {
  if (op === 'in' && !Array.isArray(arg) && typeof arg !== 'string') {
    throw new QueryError('QUERY_INVALID', '$in needs an array')
  }
  if (op === 'prefix' && !Array.isArray(arg) && typeof arg !== 'string') {
    throw new QueryError('QUERY_INVALID', '$prefix needs a string or an array')
  }
}

export const REDUCE_OPS: Record<string, (a: unknown, b: unknown) => unknown> = {
  count: (a) => ((a as number) || 0) + 1,
  sum: (a, b) => (+(a as number) || 0) + (+(b as number) || 0),
  product: (a, b) => ((a as number) || 1) * ((b as number) || 1),
  max: (a, b) => (a === undefined ? b : Math.max(a as number, b as number)),
  min: (a, b) => (a === undefined ? b : Math.min(a as number, b as number)),
  collect: (a, b) => {
    let arr = a
    if (!arr) arr = []
    if (!Array.isArray(arr)) arr = [arr]
    const list = arr as unknown[]
    if (list.length >= MAX_COLLECT_ITEMS) throw new QueryError('QUERY_LIMIT_EXCEEDED', `$collect holds more than ${MAX_COLLECT_ITEMS} items`)
    list.push(b)
    return list
  },
}

/** Whether `$name` is a reduction (mfr's reduce operators), as opposed to a value operator. */
export const isReduceOp = (name: string): boolean => hasOwn(REDUCE_OPS, name) && !hasOwn(MAP_OPS, name)


/**
 * Which fields of the messages a query looks at, so the store can read just those (readIndex's
 * `fields`). Only a query whose output is not the messages themselves qualifies: the stages up to
 * its first `$map` or `$reduce` see messages, everything after sees what those made. Each rule is
 * read the way mfr.ts applies it; whatever looks at a message as a whole (`true`, a value operator
 * applied to the message, a negative index) means all fields: null.
 */

import { hasDollar, isReduceOp } from './ops.js'

type Obj = Record<string, unknown>
type Path = string[]

const isObject = (o: unknown): o is Obj => typeof o === 'object' && o !== null

class Whole extends Error {}
const WHOLE = new Whole()

/** A path rule as make()'s getters read it: steps until the first one that is not a plain key. */
function pathOf(rule: unknown, base: Path, out: Path[]): void {
  const step = (s: unknown): string | null =>
    typeof s === 'string' ? s : typeof s === 'number' && Number.isInteger(s) && s >= 0 ? String(s) : null
  const one = step(rule)
  if (one !== null) {
    out.push([...base, one])
    return
  }
  if (Array.isArray(rule)) {
    const path = [...base]
    for (const s of rule) {
      const k = step(s)
      if (k === null) break // an operator or `true` step works on the value reached so far
      path.push(k)
    }
    if (path.length === 0) throw WHOLE
    out.push(path)
    return
  }
  throw WHOLE // true, a negative index, a value operator: the whole message
}

/** makeFilter: plain objects (and arrays) descend, anything else tests the value at the path. */
function filterPaths(rule: unknown, path: Path, out: Path[]): void {
  if (isObject(rule) && !hasDollar(rule)) {
    const keys = Object.keys(rule)
    if (keys.length > 0) {
      for (const k of keys) filterPaths(rule[k], [...path, k], out)
      return
    }
  }
  if (path.length === 0) throw WHOLE
  out.push(path)
}

/** makeMap: an object template maps each field from the whole message. */
function mapPaths(rule: unknown, out: Path[]): void {
  if (isObject(rule) && !Array.isArray(rule) && !hasDollar(rule)) {
    for (const k of Object.keys(rule)) {
      if (rule[k] === true) out.push([k])
      else mapPaths(rule[k], out)
    }
    return
  }
  pathOf(rule, [], out)
}

/** makeReduce: templates nest, `$count` reads nothing, other reductions read their argument. */
function reducePaths(rule: unknown, out: Path[]): void {
  if (isObject(rule) && !Array.isArray(rule)) {
    if (!hasDollar(rule)) {
      for (const k of Object.keys(rule)) reducePaths(rule[k], out)
      return
    }
    const keys = Object.keys(rule)
    const op = keys.length === 1 ? keys[0]!.slice(1) : ''
    if (op === 'count') return
    if (isReduceOp(op)) {
      pathOf(rule[keys[0]!], [], out)
      return
    }
  }
  pathOf(rule, [], out)
}

/** compare-at-paths: a key or a list of keys. */
function sortPaths(rule: unknown, out: Path[]): void {
  if (!Array.isArray(rule)) throw WHOLE
  for (const p of rule) {
    const path = isObject(p) && !Array.isArray(p) && (p as Obj).$reverse ? (p as Obj).$reverse : p
    if (typeof path === 'string' || typeof path === 'number') out.push([String(path)])
    else if (Array.isArray(path) && path.length > 0 && path.every((s) => typeof s === 'string' || typeof s === 'number')) out.push(path.map(String))
    else throw WHOLE
  }
}

/** The message paths a `$filter` rule reads, or null when it looks at messages as a whole. */
export function filterFields(rule: unknown): string[][] | null {
  const out: Path[] = []
  try {
    filterPaths(rule, [], out)
  } catch (err) {
    if (err === WHOLE) return null
    throw err
  }
  return out
}

/**
 * The message paths a query reads, or null when it needs whole messages (its output is
 * messages, or a rule looks at a message as a whole). Call with a query compileQuery accepted.
 */
export function queryFields(query: readonly unknown[]): string[][] | null {
  const out: Path[] = []
  try {
    for (const stage of query) {
      if (!isObject(stage)) continue // null stages are skipped
      const [k] = Object.keys(stage)
      const rule = stage[k!]
      switch (k) {
        case '$filter':
          filterPaths(rule, [], out)
          break
        case '$sort':
          sortPaths(rule, out)
          break
        case '$map':
          mapPaths(rule, out)
          return out
        case '$reduce':
          reducePaths(rule, out)
          return out
        default:
          return null
      }
    }
  } catch (err) {
    if (err === WHOLE) return null
    throw err
  }
  return null // the output is the messages
}

import { DbError } from './errors.js'

const MAX_SEQ = 2 ** 52

export interface NumBounds {
  gt?: unknown
  gte?: unknown
  lt?: unknown
  lte?: unknown
}

function num(name: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || Number.isNaN(v)) throw new DbError('DB_INVALID_ARGUMENT', `${name} must be a number`)
  return v
}

/** Integer bounds (sequence numbers) as an inclusive [lo, hi]; lo > hi means empty. */
export function intBounds(o: NumBounds): { lo: number; hi: number } {
  const gt = num('gt', o.gt)
  const gte = num('gte', o.gte)
  const lt = num('lt', o.lt)
  const lte = num('lte', o.lte)
  let lo = 0
  let hi = MAX_SEQ
  if (gt !== undefined) lo = Math.max(lo, Math.floor(gt) + 1)
  else if (gte !== undefined) lo = Math.max(lo, Math.ceil(gte))
  if (lt !== undefined) hi = Math.min(hi, Math.ceil(lt) - 1)
  else if (lte !== undefined) hi = Math.min(hi, Math.floor(lte))
  return { lo, hi }
}

/** Float bounds (timestamps) as a predicate plus the raw ends. */
export interface FloatBounds {
  lower: number
  lowerInclusive: boolean
  upper: number
  upperInclusive: boolean
}

export function floatBounds(o: NumBounds): FloatBounds {
  const gt = num('gt', o.gt)
  const gte = num('gte', o.gte)
  const lt = num('lt', o.lt)
  const lte = num('lte', o.lte)
  return {
    lower: gt ?? gte ?? -Infinity,
    lowerInclusive: gt === undefined,
    upper: lt ?? lte ?? Infinity,
    upperInclusive: lt === undefined,
  }
}

export function inFloat(b: FloatBounds, x: number): boolean {
  if (b.lowerInclusive ? x < b.lower : x <= b.lower) return false
  if (b.upperInclusive ? x > b.upper : x >= b.upper) return false
  return true
}

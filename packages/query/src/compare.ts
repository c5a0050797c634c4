import { QueryError } from './errors.js'

/**
 * typewiselite 1.0: the order map-filter-reduce uses for `$sort` and `$reduce` groups.
 * null < boolean < number < string < array < undefined; arrays element-wise, then by length.
 * Objects cannot be ordered (the original throws; so does this, with a typed error).
 */
function rank(v: unknown): number {
  if (v === null) return 0
  switch (typeof v) {
    case 'boolean':
      return 1
    case 'number':
      return 2
    case 'string':
      return 4
    case 'undefined':
      return 7
  }
  if (Array.isArray(v)) return 6
  throw new QueryError('QUERY_UNCOMPARABLE', 'comparing objects or functions is not supported')
}

function inequality(a: unknown, b: unknown): number {
  return a === b ? 0 : (a as number) < (b as number) ? -1 : 1
}

export function compare(a: unknown, b: unknown): number {
  const ta = rank(a)
  const tb = rank(b)
  if (ta !== tb) return ta < tb ? -1 : 1
  if (ta === 6) {
    const x = a as unknown[]
    const y = b as unknown[]
    const n = Math.min(x.length, y.length)
    for (let i = 0; i < n; i++) {
      const c = compare(x[i], y[i])
      if (c) return c
    }
    return inequality(x.length, y.length)
  }
  return inequality(a, b)
}

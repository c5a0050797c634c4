/** Running mean/stdev in the shape of the `statistics` module ssb-gossip stores in `gossip.json`. */
export interface Stats {
  mean: number
  stdev: number
  count: number
  sum: number
  sqsum: number
}

export function emptyStats(): Stats {
  return { mean: 0, stdev: 0, count: 0, sum: 0, sqsum: 0 }
}

export function addSample(prev: Stats | null | undefined, value: number): Stats {
  const s = prev && Number.isFinite(prev.count) ? prev : emptyStats()
  const count = s.count + 1
  const sum = s.sum + value
  const sqsum = s.sqsum + value * value
  const mean = sum / count
  return { mean, stdev: Math.sqrt(Math.max(0, sqsum / count - mean * mean)), count, sum, sqsum }
}

export function isStats(v: unknown): v is Stats {
  if (!v || typeof v !== 'object') return false
  const o = v as Record<string, unknown>
  return ['mean', 'stdev', 'count', 'sum', 'sqsum'].every((k) => typeof o[k] === 'number' && Number.isFinite(o[k]))
}

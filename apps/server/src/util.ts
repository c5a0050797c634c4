/** A config value as a number (`"8008"` → 8008), or `fallback` when absent or not numeric. */
export function toNumber(v: unknown, fallback: number): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
  return typeof n === 'number' && Number.isFinite(n) ? n : fallback
}

const TWO_32 = 0x1_0000_0000

/** Writes a non-negative safe integer as u64 little-endian. */
export function setU64(view: DataView, pos: number, value: number): void {
  view.setUint32(pos, value % TWO_32, true)
  view.setUint32(pos + 4, Math.floor(value / TWO_32), true)
}

/** Reads a u64 little-endian; returns -1 when it does not fit a safe integer (treated as damage by callers). */
export function getU64(view: DataView, pos: number): number {
  const lo = view.getUint32(pos, true)
  const hi = view.getUint32(pos + 4, true)
  if (hi > 0x1f_ffff) return -1
  return hi * TWO_32 + lo
}

export function lo32(value: number): number {
  return value % TWO_32
}

export function hi32(value: number): number {
  return Math.floor(value / TWO_32)
}

/** Values handed out by a stream are views into shared slabs of this size (fewer, larger allocations). */
export const SLAB_BYTES = 64 * 1024

/**
 * Copies payloads out of a reused read buffer. Small values share a 64 KiB slab, so a scan
 * allocates one ArrayBuffer per ~90 records instead of one each; larger values get their own.
 * A value kept alive keeps at most its slab alive.
 */
export class Slab {
  private slab: Uint8Array | null = null
  private used = 0

  copy(source: Buffer, start: number, end: number): Uint8Array {
    const length = end - start
    if (length > SLAB_BYTES / 8) {
      const own = new Uint8Array(length)
      source.copy(own, 0, start, end)
      return own
    }
    if (!this.slab || this.used + length > SLAB_BYTES) {
      this.slab = new Uint8Array(SLAB_BYTES)
      this.used = 0
    }
    source.copy(this.slab, this.used, start, end)
    const value = this.slab.subarray(this.used, this.used + length)
    this.used += length
    return value
  }
}

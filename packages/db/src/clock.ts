/**
 * Receive timestamps: milliseconds, strictly increasing within one database even across
 * restarts and a wall clock that steps back. Like monotonic-timestamp (ssb-db), two stamps in the
 * same millisecond get a fractional part.
 */
export class MonotonicClock {
  constructor(
    private last: number,
    private readonly now: () => number = Date.now,
  ) {}

  next(): number {
    const t = this.now()
    if (t > this.last) {
      this.last = t
    } else {
      // 0.001 ms is above the float spacing (~2.4e-4) of present-day timestamps; the fallback
      // keeps it strictly increasing for absurdly large ones.
      const bumped = this.last + 0.001
      this.last = bumped > this.last ? bumped : this.last * (1 + Number.EPSILON)
    }
    return this.last
  }

  get current(): number {
    return this.last
  }

  observe(ts: number): void {
    if (ts > this.last) this.last = ts
  }
}

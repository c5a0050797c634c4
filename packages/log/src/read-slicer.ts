/**
 * Decides whether a small read may run synchronously. Reads from the page cache are ten times
 * cheaper that way than through the thread pool, but a long run of them (a big query) would
 * keep the event loop from turning. So synchronous reads are allowed for `sliceMs` per turn of
 * the loop; after that reads go through the thread pool, which lets the loop turn (a
 * setImmediate marks the turn) before the next slice starts.
 */
export class ReadSlicer {
  #start = -1
  readonly #sliceMs: number
  readonly #reset = (): void => {
    this.#start = -1
  }

  constructor(sliceMs: number) {
    this.#sliceMs = sliceMs
  }

  allowSync(): boolean {
    if (this.#sliceMs <= 0) return false
    const now = performance.now()
    if (this.#start < 0) {
      this.#start = now
      setImmediate(this.#reset).unref()
      return true
    }
    return now - this.#start < this.#sliceMs
  }
}

import { MAX_LIVE_BUFFER } from './constants.js'
import { DbError, abortError } from './errors.js'

/** A buffered queue of live items, filled synchronously by the indexer. */
export class Subscription<T> {
  private buf: T[] = []
  private head = 0
  private ended = false
  private error: unknown = undefined
  private wake: (() => void) | null = null
  onClose: (() => void) | null = null

  push(items: readonly T[]): void {
    if (this.ended || items.length === 0) return
    if (this.buf.length - this.head + items.length > MAX_LIVE_BUFFER) {
      this.end(new DbError('DB_LIVE_OVERFLOW', `live stream consumer fell more than ${MAX_LIVE_BUFFER} items behind`))
      return
    }
    for (let i = 0; i < items.length; i++) this.buf.push(items[i]!)
    this.wakeUp()
  }

  end(err?: unknown): void {
    if (this.ended) return
    this.ended = true
    if (err !== undefined) this.error = err
    this.wakeUp()
  }

  close(): void {
    this.end()
    this.buf = []
    this.head = 0
    this.onClose?.()
    this.onClose = null
  }

  /** Next item, or `done` when the subscription ended; throws on overflow or abort. */
  async next(signal: AbortSignal | undefined): Promise<{ done: true } | { done: false; value: T }> {
    for (;;) {
      if (signal?.aborted) throw abortError(signal)
      if (this.head < this.buf.length) {
        const value = this.buf[this.head]!
        // Release the slot at once: a slow consumer must not pin items it already took.
        ;(this.buf as Array<T | undefined>)[this.head++] = undefined
        if (this.head > 64 && this.head * 2 > this.buf.length) {
          this.buf = this.buf.slice(this.head)
          this.head = 0
        }
        return { done: false, value }
      }
      if (this.error !== undefined) throw this.error
      if (this.ended) return { done: true }
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve()
        this.wake = () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        }
        signal?.addEventListener('abort', onAbort, { once: true })
      })
      this.wake = null
    }
  }

  private wakeUp(): void {
    const w = this.wake
    this.wake = null
    w?.()
  }
}

import type { FeedId } from '@ssb/keys'

/**
 * Live hop changes for one reader. Changes that wait for a slow reader are merged per feed, so
 * the backlog never exceeds one entry per known feed. Ends on close() or when `signal` aborts.
 */
export class DiffChannel implements AsyncIterable<Map<FeedId, number | undefined>> {
  private pending = new Map<FeedId, number | undefined>()
  private wake: (() => void) | null = null
  private closed = false

  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly onEnd: () => void,
  ) {
    signal?.addEventListener('abort', () => this.close(), { once: true })
  }

  push(diff: ReadonlyMap<FeedId, number | undefined>): void {
    if (this.closed || diff.size === 0) return
    for (const [id, h] of diff) this.pending.set(id, h)
    this.wake?.()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.onEnd()
    this.wake?.()
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Map<FeedId, number | undefined>> {
    try {
      while (true) {
        if (this.pending.size > 0) {
          const batch = this.pending
          this.pending = new Map()
          yield batch
          continue
        }
        if (this.closed || this.signal?.aborted) return
        await new Promise<void>((resolve) => {
          this.wake = resolve
        })
        this.wake = null
      }
    } finally {
      this.close()
    }
  }
}

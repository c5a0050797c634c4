import { RpcError, rawJsonOf } from '@ssb/rpc'

/**
 * Bytes of live items held for one stream whose reader falls behind (a peer that stops reading a
 * live createHistoryStream/createLogStream). Past it the stream ends with an error and the peer
 * can ask again from where it got to, instead of the server buffering without bound.
 */
export const MAX_LIVE_LAG_BYTES = 4 * 1024 * 1024

function approxBytes(item: unknown): number {
  if (typeof item === 'string') return item.length
  // @ssb/db's RawJson: stored JSON sent as is
  const raw = rawJsonOf(item)
  if (raw !== undefined) return raw.byteLength
  try {
    return JSON.stringify(item)?.length ?? 16
  } catch {
    return 1024
  }
}

/**
 * Drains `source` eagerly into a queue bounded by bytes and serves it to the (possibly slow)
 * consumer. Used for live streams served over RPC, where backpressure would otherwise pile
 * items up in the store's live buffer.
 */
export function boundedLive<T>(source: AsyncIterable<T>, signal: AbortSignal, maxBytes = MAX_LIVE_LAG_BYTES): AsyncIterable<T> {
  const queue: Array<{ item: T; size: number }> = []
  let bytes = 0
  let done = false
  let failure: unknown
  let wake: (() => void) | null = null
  const notify = () => {
    const w = wake
    wake = null
    w?.()
  }
  const pump = (async () => {
    try {
      for await (const item of source) {
        if (signal.aborted) break
        const size = approxBytes(item)
        if (bytes + size > maxBytes) {
          failure = new RpcError('LIVE_STREAM_OVERFLOW', `live stream reader fell more than ${maxBytes} bytes behind; ask again from where you are`, { expose: true })
          break
        }
        queue.push({ item, size })
        bytes += size
        notify()
      }
    } catch (err) {
      failure = err
    } finally {
      done = true
      notify()
    }
  })()
  void pump
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (queue.length > 0) {
          const { item, size } = queue.shift()!
          bytes -= size
          yield item
          continue
        }
        if (failure !== undefined) throw failure
        if (done) return
        await new Promise<void>((resolve) => (wake = resolve))
      }
    },
  }
}

import { DEFAULT_PING_MS, MAX_PING_MS, MIN_PING_MS } from './constants.js'
import { systemClock, type Clock } from './scheduler.js'

export interface PingOptions {
  /** We start (the dialling side does, ssb-gossip: `serve: true`). */
  serve: boolean
  /** ms between pings; clamped to 10 s … 30 min like ssb-gossip. */
  intervalMs?: number
  clock?: Clock
  /** Called with each round trip time and clock skew (ms). */
  onSample?(rtt: number, skew: number): void
  /** Ends the session (connection closed). */
  signal?: AbortSignal
}

export interface PingSession {
  /** Timestamps to send to the peer (the duplex's output). */
  output: AsyncIterable<number>
  /** Consumes the peer's timestamps until they end or the session is aborted. */
  run(input: AsyncIterable<unknown>): Promise<void>
}

/** Replies to unsolicited pings at most this often: a peer cannot make us echo a flood. */
const MIN_REPLY_GAP_MS = 1000

export function clampPingInterval(ms: unknown): number {
  const n = typeof ms === 'number' && Number.isFinite(ms) ? ms : DEFAULT_PING_MS
  return Math.max(MIN_PING_MS, Math.min(n, MAX_PING_MS))
}

/**
 * The `gossip.ping` exchange of pull-ping (protocol.md §11): JSON millisecond timestamps bounce
 * back and forth; the side that served measures RTT and skew from the answer, the other side
 * answers at once and serves again after the interval. Its real job is keeping the connection
 * busy enough that the 10-minute inactivity timeout never fires between peers.
 */
export function pingSession(opts: PingOptions): PingSession {
  const clock = opts.clock ?? systemClock
  const interval = clampPingInterval(opts.intervalMs)
  let serving = false
  let sentAt = 0
  let lastReply = -Infinity
  let timer: unknown
  let done = false
  let pending: number | undefined
  let wake: (() => void) | undefined

  const push = (ts: number) => {
    pending = ts
    wake?.()
  }
  const finish = () => {
    if (done) return
    done = true
    clock.clearTimeout(timer)
    wake?.()
  }
  opts.signal?.addEventListener('abort', finish, { once: true })
  if (opts.signal?.aborted) finish()

  const serve = () => {
    if (done) return
    serving = true
    sentAt = clock.now()
    push(sentAt)
  }
  if (opts.serve) serve()

  const output: AsyncIterable<number> = {
    async *[Symbol.asyncIterator]() {
      while (!done) {
        if (pending === undefined) {
          await new Promise<void>((resolve) => (wake = resolve))
          wake = undefined
          continue
        }
        const ts = pending
        pending = undefined
        yield ts
      }
    },
  }

  return {
    output,
    async run(input) {
      try {
        for await (const item of input) {
          if (done) break
          if (typeof item !== 'number' || !Number.isFinite(item)) continue
          const now = clock.now()
          if (serving) {
            serving = false
            opts.onSample?.(now - sentAt, item - (now + sentAt) / 2)
          } else if (now - lastReply >= MIN_REPLY_GAP_MS) {
            lastReply = now
            push(now)
            clock.clearTimeout(timer)
            timer = clock.setTimeout(serve, interval)
          }
        }
      } finally {
        finish()
      }
    },
  }
}

import {
  DEFAULT_BACKOFF_FACTOR_MS,
  DEFAULT_BACKOFF_MAX_MS,
  DEFAULT_CONNECTIONS,
  DEFAULT_DIAL_TIMEOUT_MS,
  DEFAULT_IDLE_MS,
  DEFAULT_MAX_DIALS,
  DEFAULT_SCHEDULE_INTERVAL_MS,
} from './constants.js'
import { GossipError } from './errors.js'
import type { PeerRecord, PeerSource, PeerTable } from './peer-table.js'

/** Time source; tests pass a fake one to run back-off and timeouts without waiting. */
export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms)
    t.unref?.()
    return t
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}

export interface SchedulerDeps {
  table: PeerTable
  /**
   * Opens a connection to the peer; resolves once it is up. Must give up when `signal` aborts
   * (the dial timeout, or the scheduler stopping) and close a connection that arrives later.
   */
  dial(peer: PeerRecord, signal: AbortSignal): Promise<void>
  /** Closes our connections to the peer (rotation of idle peers). */
  disconnect(peer: PeerRecord): void
  /** Higher is dialled first: e.g. 2 for peers we follow, 1 for peers within our hops. */
  score?(peer: PeerRecord): number
  /** Whether this process can dial the address at all (e.g. only `net` transports). */
  canDial?(peer: PeerRecord): boolean
  /** ms timestamp of the last replication traffic with the peer, if known. */
  lastActivity?(peer: PeerRecord): number | undefined
  clock?: Clock
  logger?: { debug(msg: string, ctx?: object): void; info(msg: string, ctx?: object): void }
}

export interface SchedulerOptions {
  /** Peers to keep connected (ssb-config `gossip.connections`, default 3). */
  connections?: number
  intervalMs?: number
  backoffFactorMs?: number
  backoffMaxMs?: number
  /** Dials in flight at once. */
  maxDials?: number
  dialTimeoutMs?: number
  /** An outgoing connection idle this long is dropped when other peers wait for a slot. */
  idleMs?: number
  /** Sources the scheduler may dial (ssb-gossip's `gossip.seed/local/pub…` switches). */
  sources?: Partial<Record<PeerSource, boolean>>
}

/** Seeds first, then LAN peers, manual and stored ones, and finally pub announcements. */
const SOURCE_RANK: Record<PeerSource, number> = { friends: 0, seed: 1, local: 2, manual: 3, stored: 4, pub: 5 }

/** `min(2^failures × factor, max)`, as ssb-gossip's schedule.js. */
export function backoffDelay(failures: number, factorMs: number, maxMs: number): number {
  return Math.min(2 ** Math.min(failures, 40) * factorMs, maxMs)
}

/**
 * Keeps up to `connections` peers connected: each tick dials the best due candidates (score,
 * then source, then fewest failures, then longest waiting), at most `maxDials` at once, each
 * bounded by `dialTimeoutMs`; failures back off exponentially. Connections count in both
 * directions, so a well-connected server dials nobody.
 */
export class Scheduler {
  readonly #deps: SchedulerDeps
  readonly #clock: Clock
  readonly #opts: Required<Omit<SchedulerOptions, 'sources'>> & { sources: Partial<Record<PeerSource, boolean>> }
  readonly #dialing = new Map<string, { ac: AbortController; done: Promise<void> }>()
  #timer: unknown
  #running = false
  #enabled = true

  constructor(deps: SchedulerDeps, opts: SchedulerOptions = {}) {
    this.#deps = deps
    this.#clock = deps.clock ?? systemClock
    this.#opts = {
      connections: opts.connections ?? DEFAULT_CONNECTIONS,
      intervalMs: opts.intervalMs ?? DEFAULT_SCHEDULE_INTERVAL_MS,
      backoffFactorMs: opts.backoffFactorMs ?? DEFAULT_BACKOFF_FACTOR_MS,
      backoffMaxMs: opts.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS,
      maxDials: opts.maxDials ?? DEFAULT_MAX_DIALS,
      dialTimeoutMs: opts.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS,
      idleMs: opts.idleMs ?? DEFAULT_IDLE_MS,
      sources: { ...opts.sources },
    }
    for (const k of ['connections', 'intervalMs', 'backoffFactorMs', 'backoffMaxMs', 'maxDials', 'dialTimeoutMs', 'idleMs'] as const) {
      const v = this.#opts[k]
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new GossipError('GOSSIP_INVALID_OPTIONS', `${k} must be a non-negative number, got ${String(v)}`)
    }
  }

  /** Ticks every `intervalMs` until stop() (or `signal` aborts). */
  start(signal?: AbortSignal): void {
    if (this.#running) return
    this.#running = true
    signal?.addEventListener('abort', () => this.stop(), { once: true })
    const loop = () => {
      if (!this.#running) return
      this.tick()
      this.#timer = this.#clock.setTimeout(loop, this.#opts.intervalMs)
    }
    this.#timer = this.#clock.setTimeout(loop, 0)
  }

  /** Stops ticking and aborts dials in flight. */
  stop(): void {
    this.#running = false
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    for (const d of this.#dialing.values()) d.ac.abort(new Error('scheduler stopped'))
    this.#dialing.clear()
  }

  /** gossip.enable/disable for the automatic part; manual dials still work. */
  setEnabled(on: boolean): void {
    this.#enabled = on
  }

  setSource(source: PeerSource, on: boolean): void {
    this.#opts.sources[source] = on
  }

  isDialing(key: string): boolean {
    return this.#dialing.has(key)
  }

  get dialsInFlight(): number {
    return this.#dialing.size
  }

  /** Whether the back-off for the peer has passed. */
  isDue(peer: PeerRecord, now = this.#clock.now()): boolean {
    if (peer.stateChange === undefined) return true
    return now >= peer.stateChange + backoffDelay(peer.failure, this.#opts.backoffFactorMs, this.#opts.backoffMaxMs)
  }

  /** One scheduling round (exposed so tests and `gossip.reconnect` can run it now). */
  tick(): void {
    if (!this.#enabled) return
    const now = this.#clock.now()
    const { connections, maxDials } = this.#opts
    const n = Math.min(connections, maxDials - this.#dialing.size)
    const active: PeerRecord[] = []
    // The best `want` candidates, kept sorted best-first: one pass, no full sort of the table.
    const want = Math.max(n, 1)
    const best: Array<{ peer: PeerRecord; score: number }> = []
    let candidates = 0
    for (const peer of this.#deps.table.peers()) {
      if (peer.state === 'connected' || peer.state === 'connecting' || this.#dialing.has(peer.key)) {
        active.push(peer)
        continue
      }
      if (peer.state !== undefined || !this.#dialable(peer) || !this.isDue(peer, now)) continue
      candidates++
      const score = this.#deps.score?.(peer) ?? 0
      if (best.length === want && compare(peer, score, best[want - 1]!) >= 0) continue
      let i = best.length
      while (i > 0 && compare(peer, score, best[i - 1]!) < 0) i--
      best.splice(i, 0, { peer, score })
      if (best.length > want) best.pop()
    }
    let free = Math.min(connections - active.length, n)
    if (free <= 0 && candidates > 0 && this.#dialing.size === 0) this.#rotateIdle(active, now)
    for (const { peer } of best) {
      if (free-- <= 0) break
      this.dial(peer).catch(() => {})
    }
  }

  /**
   * Dials one peer now (gossip.connect uses this too): marks it connecting, aborts after
   * `dialTimeoutMs`, and records success or failure in the table. A peer already being dialled
   * shares that attempt.
   */
  dial(peer: PeerRecord): Promise<void> {
    const current = this.#dialing.get(peer.key)
    if (current) return current.done
    const ac = new AbortController()
    const entry = { ac, done: Promise.resolve() }
    this.#dialing.set(peer.key, entry)
    entry.done = this.#run(peer, entry)
    return entry.done
  }

  async #run(peer: PeerRecord, entry: { ac: AbortController }): Promise<void> {
    const { table } = this.#deps
    const { ac } = entry
    table.connecting(peer.key)
    let timer: unknown
    // Settles the bookkeeping once, synchronously: a timed-out slot is free at once, whatever the dial does later.
    const settle = (err?: unknown): void => {
      if (this.#dialing.get(peer.key) !== entry) return
      this.#dialing.delete(peer.key)
      this.#clock.clearTimeout(timer)
      if (err === undefined) return table.connected(peer.key, true)
      table.failed(peer.key, err)
      this.#deps.logger?.debug('dial failed', { peer: peer.key, address: peer.address, failure: peer.failure, reason: (err as Error).message })
    }
    const aborted = new Promise<never>((_, reject) => {
      ac.signal.addEventListener('abort', () => reject(ac.signal.reason as Error), { once: true })
    })
    aborted.catch(() => {})
    timer = this.#clock.setTimeout(() => {
      const err = new Error(`dial timeout after ${this.#opts.dialTimeoutMs} ms`)
      settle(err)
      ac.abort(err)
    }, this.#opts.dialTimeoutMs)
    try {
      await Promise.race([this.#deps.dial(peer, ac.signal), aborted])
      settle()
    } catch (err) {
      settle(err)
      throw err
    }
  }

  #dialable(peer: PeerRecord): boolean {
    if (this.#opts.sources[peer.source] === false) return false
    return this.#deps.canDial?.(peer) ?? true
  }

  /** Frees one slot held by an outgoing connection that has been quiet for `idleMs`. */
  #rotateIdle(active: PeerRecord[], now: number): void {
    const idleMs = this.#opts.idleMs
    let oldest: PeerRecord | undefined
    for (const p of active) {
      if (p.state !== 'connected' || !p.client || p.source === 'manual') continue
      const last = Math.max(p.stateChange ?? 0, this.#deps.lastActivity?.(p) ?? 0)
      if (now - last < idleMs) continue
      if (!oldest || (oldest.stateChange ?? 0) > (p.stateChange ?? 0)) oldest = p
    }
    if (!oldest) return
    this.#deps.logger?.info('dropping idle peer', { peer: oldest.key })
    this.#deps.table.disconnecting(oldest.key)
    this.#deps.disconnect(oldest)
  }
}

function compare(a: PeerRecord, aScore: number, b: { peer: PeerRecord; score: number }): number {
  if (aScore !== b.score) return b.score - aScore
  const ra = SOURCE_RANK[a.source]
  const rb = SOURCE_RANK[b.peer.source]
  if (ra !== rb) return ra - rb
  if (a.failure !== b.peer.failure) return a.failure - b.peer.failure
  return (a.stateChange ?? 0) - (b.peer.stateChange ?? 0)
}

import { type IndexState, writeIndexBatch } from './index-state.js'
import type { IndexedMsg } from './record.js'
import type { Logger } from './types.js'

type Listener = (msgs: readonly IndexedMsg[]) => void
type Waiter = { id: number; fn: (err?: unknown) => void }

/**
 * Indexes appended messages in the background: every group the writer appends is queued here,
 * and queued groups are coalesced into one LevelDB batch per write. Queries synchronise with it
 * through whenCaughtUp(), which runs a callback at an instant with no batch in flight and
 * everything appended before the call indexed — so a snapshot taken there plus a listener
 * registered there see every message exactly once.
 */
export class Indexer {
  private queue: IndexedMsg[][] = []
  /** Messages queued or being written. */
  private backlog = 0
  private roomWaiters: Array<{ below: number; fn: () => void }> = []
  private enqueued = 0
  private done = 0
  private inFlight = false
  private running = false
  private waiters: Waiter[] = []
  private listeners = new Set<Listener>()
  private failure: unknown = undefined
  /** Offset of the last indexed record (-1 when none). */
  indexedUpTo: number

  /**
   * @param beforeWrite runs before each index batch: with log sync 'none' it flushes the log, so
   * a checkpoint never names a record that a crash could still lose.
   */
  constructor(
    private readonly state: IndexState,
    private readonly logger: Logger | undefined,
    private readonly beforeWrite: (() => Promise<void>) | null = null,
  ) {
    this.indexedUpTo = state.meta.since
  }

  /** True when every enqueued group is indexed. */
  get idle(): boolean {
    return !this.inFlight && this.done === this.enqueued
  }

  get failed(): unknown {
    return this.failure
  }

  enqueue(msgs: IndexedMsg[]): void {
    if (msgs.length === 0) return
    this.queue.push(msgs)
    this.backlog += msgs.length
    this.enqueued++
    if (!this.running) void this.run()
  }

  /** Calls `fn` synchronously once everything enqueued so far is indexed and nothing is in flight. */
  whenCaughtUp(fn: (err?: unknown) => void): void {
    if (this.failure !== undefined) return fn(this.failure)
    const id = this.enqueued
    if (!this.inFlight && this.done >= id) fn()
    else this.waiters.push({ id, fn })
  }

  caughtUp(): Promise<void> {
    return new Promise((resolve, reject) => this.whenCaughtUp((err) => (err === undefined ? resolve() : reject(err))))
  }

  /** Resolves once fewer than `below` messages wait to be indexed (writer backpressure). */
  room(below: number): Promise<void> {
    if (this.backlog < below || this.failure !== undefined) return Promise.resolve()
    return new Promise((resolve) => this.roomWaiters.push({ below, fn: resolve }))
  }

  listen(fn: Listener): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  private async run(): Promise<void> {
    this.running = true
    try {
      while (this.queue.length > 0) {
        const groups = this.queue
        this.queue = []
        const upTo = this.enqueued
        const msgs = groups.length === 1 ? groups[0]! : groups.flat()
        if (this.beforeWrite !== null) await this.beforeWrite()
        this.inFlight = true
        try {
          await writeIndexBatch(this.state, msgs)
        } finally {
          this.inFlight = false
        }
        this.done = upTo
        this.indexedUpTo = this.state.meta.since
        this.backlog -= msgs.length
        if (this.roomWaiters.length > 0) {
          const ready = this.roomWaiters.filter((w) => this.backlog < w.below)
          this.roomWaiters = this.roomWaiters.filter((w) => this.backlog >= w.below)
          for (const w of ready) w.fn()
        }
        for (const l of this.listeners) {
          try {
            l(msgs)
          } catch (err) {
            this.logger?.error('live listener threw', { err: String(err) })
          }
        }
        this.fireWaiters()
      }
    } catch (err) {
      this.failure = err
      this.logger?.error('index write failed; indexes catch up from the log on next open', { err: String(err) })
      const ws = this.waiters
      this.waiters = []
      for (const w of ws) w.fn(err)
      for (const w of this.roomWaiters.splice(0)) w.fn()
    } finally {
      this.running = false
    }
  }

  private fireWaiters(): void {
    if (this.waiters.length === 0) return
    const ready: Waiter[] = []
    const rest: Waiter[] = []
    for (const w of this.waiters) (w.id <= this.done ? ready : rest).push(w)
    this.waiters = rest
    for (const w of ready) {
      try {
        w.fn()
      } catch (err) {
        this.logger?.error('index waiter threw', { err: String(err) })
      }
    }
  }
}

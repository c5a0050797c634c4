import type { Db } from '@ssb/db'
import type { MsgValue } from '@ssb/feed'
import type { Friends } from '@ssb/friends'
import type { FeedId } from '@ssb/keys'
import type { RpcConnection } from '@ssb/rpc'
import type { Logger } from './logger.js'

/** Messages appended per db.addBatch call while pulling a history stream. */
const LEGACY_BATCH = 256

interface Session {
  rpc: RpcConnection
  peer: string
  abort: AbortController
  feeds: Map<FeedId, AbortController>
}

/**
 * Replication with `createHistoryStream` (protocol.md §8) for peers without EBT: one live
 * stream per replicated feed, from our latest sequence + 1, validated and stored in batches.
 */
export class LegacyReplicator {
  #sessions = new Map<RpcConnection, Session>()
  #extra = new Set<FeedId>()

  constructor(private readonly deps: { db: Db; friends: Friends; logger: Logger }) {}

  /** replicate.request: also pull feeds outside the follow graph. */
  request(feedId: FeedId, on: boolean): void {
    if (on) this.#extra.add(feedId)
    else this.#extra.delete(feedId)
    for (const s of this.#sessions.values()) {
      if (on && this.#wanted(feedId)) this.#pull(s, feedId)
      else if (!this.#wanted(feedId)) this.#stop(s, feedId)
    }
  }

  #wanted(feedId: FeedId): boolean {
    return this.#extra.has(feedId) || this.deps.friends.isReplicated(feedId)
  }

  start(rpc: RpcConnection, peer: string): void {
    if (this.#sessions.has(rpc) || rpc.closed) return
    const session: Session = { rpc, peer, abort: new AbortController(), feeds: new Map() }
    this.#sessions.set(rpc, session)
    void rpc.whenClosed().then(() => this.#end(session))
    const hops = this.deps.friends.hops()
    const feeds = new Set<FeedId>([...this.#extra])
    for (const [feed, h] of Object.entries(hops)) if (h >= 0 && this.deps.friends.isReplicated(feed as FeedId)) feeds.add(feed as FeedId)
    this.deps.logger.info('legacy replication started', { peer, feeds: feeds.size })
    for (const feed of feeds) this.#pull(session, feed)
    const unsubscribe = this.deps.friends.onReplicationChange((feed, replicate) => {
      if (replicate) this.#pull(session, feed)
      else if (!this.#extra.has(feed)) this.#stop(session, feed)
    })
    session.abort.signal.addEventListener('abort', unsubscribe, { once: true })
  }

  #stop(session: Session, feed: FeedId): void {
    session.feeds.get(feed)?.abort()
    session.feeds.delete(feed)
  }

  #end(session: Session): void {
    session.abort.abort()
    for (const c of session.feeds.values()) c.abort()
    this.#sessions.delete(session.rpc)
  }

  #pull(session: Session, feed: FeedId): void {
    if (session.feeds.has(feed) || session.abort.signal.aborted) return
    const controller = new AbortController()
    session.feeds.set(feed, controller)
    void this.#run(session, feed, controller.signal)
      .catch((err: Error & { code?: string }) => {
        if (!controller.signal.aborted && !session.rpc.closed) {
          this.deps.logger.warn('legacy replication stream failed', { peer: session.peer, feed, code: err.code, reason: err.message })
        }
      })
      .finally(() => {
        if (session.feeds.get(feed) === controller) session.feeds.delete(feed)
      })
  }

  async #run(session: Session, feed: FeedId, signal: AbortSignal): Promise<void> {
    const { db } = this.deps
    const seq = (db.feedState(feed)?.sequence ?? 0) + 1
    const stream = session.rpc.source(['createHistoryStream'], [{ id: feed, seq, live: true, keys: false }], { signal })
    let batch: MsgValue[] = []
    let flushing: Promise<void> = Promise.resolve()
    let failed: Error | undefined
    const flush = () => {
      if (batch.length === 0) return flushing
      const values = batch
      batch = []
      flushing = flushing.then(async () => {
        if (failed) return
        const r = await db.addBatch(values)
        if (r.error && r.error.code !== 'INVALID_SEQUENCE') failed = r.error
      })
      return flushing
    }
    let timer: NodeJS.Timeout | undefined
    try {
      for await (const item of stream) {
        // keys:false is a request; a peer may still send KVTs (protocol.md trap 11).
        const value = (item && typeof item === 'object' && 'value' in item && 'key' in item ? (item as { value: unknown }).value : item) as MsgValue
        if (!value || typeof value !== 'object' || value.author !== feed) {
          throw new Error(`peer sent a message that is not from ${feed}`)
        }
        batch.push(value)
        if (batch.length >= LEGACY_BATCH) await flush()
        else if (!timer) {
          timer = setTimeout(() => {
            timer = undefined
            void flush()
          }, 0)
        }
        if (failed) throw failed
      }
    } finally {
      if (timer) clearTimeout(timer)
      await flush().catch(() => {})
    }
    if (failed) throw failed
  }

  close(): void {
    for (const s of [...this.#sessions.values()]) this.#end(s)
  }
}

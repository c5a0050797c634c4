import type { MsgValue } from '@ssb/feed'
import type { FeedId } from '@ssb/keys'
import { APPEND_CONCURRENCY } from './constants.js'
import type { PeerSession } from './session.js'
import type { AppendResult, Logger } from './types.js'

interface Pending {
  value: MsgValue
  peer: PeerSession
}

interface Inbox {
  items: Pending[]
  /** Messages added since the scheduler last looked: the feed is still streaming in. */
  arrived: number
  /** The sequence the next accepted message must have. */
  nextSeq: number
  busy: boolean
}

export interface ReceiverContext {
  append(values: MsgValue[]): Promise<AppendResult>
  localSeq(feed: FeedId): number
  maxBatch: number
  /** Below this a batch waits while more messages of its feed keep arriving. */
  minBatch: number
  /** A batch stopped at an invalid message sent by `peer` (local = append itself failed). */
  onRejected(feed: FeedId, peer: PeerSession, error: AppendResult['error'] & object, local: boolean): void
  logger: Logger | undefined
}

/**
 * Incoming messages, per feed, in chain order, handed to `append` in batches of consecutive
 * messages from one peer (so a validation error names the peer that sent the bad message).
 * While a batch is validated the next one accumulates.
 */
export class Receiver {
  private readonly inboxes = new Map<FeedId, Inbox>()
  private readonly ready = new Set<FeedId>()
  private inFlight = 0
  private scheduled = false
  private closed = false
  private readonly running = new Set<Promise<void>>()

  constructor(private readonly ctx: ReceiverContext) {}

  /** Queues the next message of its feed; false if it does not continue the chain we hold. */
  offer(peer: PeerSession, value: MsgValue): boolean {
    if (this.closed) return false
    const feed = value.author
    const next = Math.max(this.inboxes.get(feed)?.nextSeq ?? 0, this.ctx.localSeq(feed) + 1)
    if (value.sequence !== next) return false
    let inbox = this.inboxes.get(feed)
    if (inbox === undefined) {
      inbox = { items: [], arrived: 0, nextSeq: next, busy: false }
      this.inboxes.set(feed, inbox)
    }
    inbox.nextSeq = next
    inbox.items.push({ value, peer })
    inbox.arrived++
    inbox.nextSeq++
    peer.pendingReceive++
    if (!inbox.busy) this.ready.add(feed)
    this.schedule()
    return true
  }

  get pending(): number {
    let n = 0
    for (const inbox of this.inboxes.values()) n += inbox.items.length
    return n
  }

  /** Drops what waits and resolves when the batches being stored are done. */
  async close(): Promise<void> {
    this.closed = true
    for (const inbox of this.inboxes.values()) {
      for (const p of inbox.items) this.release(p)
      inbox.items = []
    }
    this.ready.clear()
    await Promise.all(this.running)
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return
    this.scheduled = true
    // let the frames of one network chunk arrive first, so batches fill up
    setImmediate(() => {
      this.scheduled = false
      this.pump()
    })
  }

  private pump(): void {
    if (this.closed) return
    let waiting = false
    for (const feed of this.ready) {
      if (this.inFlight >= APPEND_CONCURRENCY) break
      const inbox = this.inboxes.get(feed)
      if (inbox === undefined || inbox.busy || inbox.items.length === 0) {
        this.ready.delete(feed)
        continue
      }
      // while a feed keeps streaming in, let its batch grow (one durable write per batch)
      const streaming = inbox.arrived > 0 && inbox.items.length < this.ctx.minBatch
      inbox.arrived = 0
      if (streaming) {
        waiting = true
        continue
      }
      this.ready.delete(feed)
      const running: Promise<void> = this.run(feed, inbox)
        .catch((err: unknown) => this.ctx.logger?.error('ebt: storing a batch failed', { feed, err }))
        .finally(() => this.running.delete(running))
      this.running.add(running)
    }
    if (waiting) this.schedule()
  }

  private async run(feed: FeedId, inbox: Inbox): Promise<void> {
    const first = inbox.items[0] as Pending
    let n = 1
    while (n < inbox.items.length && n < this.ctx.maxBatch && inbox.items[n]!.peer === first.peer) n++
    const batch = inbox.items.splice(0, n)
    inbox.busy = true
    this.inFlight++
    let result: AppendResult
    let local = false
    try {
      result = await this.ctx.append(batch.map((p) => p.value))
    } catch (err) {
      local = true
      result = { stored: [], error: err instanceof Error ? err : new Error(String(err)) }
    }
    for (const p of batch) this.release(p)
    const stored = result.stored.length
    if (result.error !== undefined && stored < batch.length) {
      const offender = batch[stored] as Pending
      for (const p of inbox.items) this.release(p)
      inbox.items = []
      const last = stored > 0 ? (result.stored[stored - 1] as MsgValue).sequence : offender.value.sequence - 1
      inbox.nextSeq = Math.max(last, this.ctx.localSeq(feed)) + 1
      this.ctx.onRejected(feed, offender.peer, result.error, local)
    }
    inbox.busy = false
    this.inFlight--
    if (inbox.items.length > 0) this.ready.add(feed)
    else this.appended(feed)
    this.pump()
  }

  /** Forget an idle inbox once the local clock has caught up with what it stored. */
  appended(feed: FeedId): void {
    const inbox = this.inboxes.get(feed)
    if (inbox && !inbox.busy && inbox.items.length === 0 && inbox.nextSeq <= this.ctx.localSeq(feed) + 1) {
      this.inboxes.delete(feed)
    }
  }

  private release(p: Pending): void {
    p.peer.pendingReceive--
    p.peer.drained()
  }
}

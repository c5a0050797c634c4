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

/** One feed's part of a group: consecutive messages from one peer. */
interface Run {
  feed: FeedId
  inbox: Inbox
  batch: Pending[]
}

export interface ReceiverContext {
  /**
   * Validates and stores several feeds' runs in one go, one result per run. Replication
   * interleaves feeds, so a store call per feed would carry a couple of messages each.
   */
  appendRuns(runs: MsgValue[][]): Promise<AppendResult[]>
  localSeq(feed: FeedId): number
  /** Messages per appendRuns call, over all its feeds. */
  maxBatch: number
  /** Below this a group waits while more messages keep arriving. */
  minBatch: number
  /** A run stopped at an invalid message sent by `peer` (local = append itself failed). */
  onRejected(feed: FeedId, peer: PeerSession, error: AppendResult['error'] & object, local: boolean): void
  logger: Logger | undefined
}

/**
 * Incoming messages, per feed, in chain order, handed to `appendRuns` in groups: for each feed
 * in a group, consecutive messages from one peer (so a validation error names the peer that
 * sent the bad message). A feed is in at most one group at a time, which keeps its order;
 * while groups are stored the next one accumulates.
 */
export class Receiver {
  private readonly inboxes = new Map<FeedId, Inbox>()
  private readonly ready = new Set<FeedId>()
  /** Messages waiting in inboxes (not in a group being stored). */
  private queued = 0
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
    this.queued++
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

  /** Drops what waits and resolves when the groups being stored are done. */
  async close(): Promise<void> {
    this.closed = true
    for (const inbox of this.inboxes.values()) {
      for (const p of inbox.items) this.release(p)
      inbox.items = []
    }
    this.queued = 0
    this.ready.clear()
    await Promise.all(this.running)
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return
    this.scheduled = true
    // let the frames of one network chunk arrive first, so groups fill up
    setImmediate(() => {
      this.scheduled = false
      this.pump()
    })
  }

  private pump(): void {
    while (!this.closed && this.inFlight < APPEND_CONCURRENCY && this.ready.size > 0) {
      // while messages keep streaming in, let the group grow (one durable write per group)
      let streaming = false
      for (const feed of this.ready) {
        const inbox = this.inboxes.get(feed)
        if (inbox !== undefined && inbox.arrived > 0) {
          streaming = true
          inbox.arrived = 0
        }
      }
      if (streaming && this.queued < this.ctx.minBatch) {
        this.schedule()
        return
      }
      const group = this.takeGroup()
      if (group.length === 0) return
      const running: Promise<void> = this.run(group)
        .catch((err: unknown) => this.ctx.logger?.error('ebt: storing a batch failed', { err }))
        .finally(() => this.running.delete(running))
      this.running.add(running)
    }
  }

  private takeGroup(): Run[] {
    const group: Run[] = []
    let size = 0
    for (const feed of this.ready) {
      if (size >= this.ctx.maxBatch) break
      this.ready.delete(feed)
      const inbox = this.inboxes.get(feed)
      if (inbox === undefined || inbox.busy || inbox.items.length === 0) continue
      const first = inbox.items[0] as Pending
      const limit = Math.min(inbox.items.length, this.ctx.maxBatch - size)
      let n = 1
      while (n < limit && inbox.items[n]!.peer === first.peer) n++
      const batch = inbox.items.splice(0, n)
      inbox.busy = true
      inbox.arrived = 0
      this.queued -= n
      size += n
      group.push({ feed, inbox, batch })
    }
    return group
  }

  private async run(group: Run[]): Promise<void> {
    this.inFlight++
    let results: AppendResult[]
    let local = false
    try {
      results = await this.ctx.appendRuns(group.map((r) => r.batch.map((p) => p.value)))
      if (results.length !== group.length) throw new Error(`appendRuns returned ${results.length} results for ${group.length} runs`)
    } catch (err) {
      local = true
      const error = err instanceof Error ? err : new Error(String(err))
      results = group.map(() => ({ stored: [], error }))
    }
    this.inFlight--
    group.forEach((run, i) => this.settle(run, results[i] as AppendResult, local))
    this.pump()
  }

  private settle({ feed, inbox, batch }: Run, result: AppendResult, local: boolean): void {
    for (const p of batch) this.release(p)
    const stored = result.stored.length
    if (result.error !== undefined && stored < batch.length) {
      const last = stored > 0 ? (result.stored[stored - 1] as MsgValue).sequence : this.ctx.localSeq(feed)
      const offender = batch.find((p) => p.value.sequence > last) ?? (batch[stored] as Pending)
      for (const p of inbox.items) this.release(p)
      this.queued -= inbox.items.length
      inbox.items = []
      inbox.nextSeq = Math.max(last, this.ctx.localSeq(feed)) + 1
      this.ctx.onRejected(feed, offender.peer, result.error, local)
    }
    inbox.busy = false
    if (inbox.items.length > 0) this.ready.add(feed)
    else this.appended(feed)
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

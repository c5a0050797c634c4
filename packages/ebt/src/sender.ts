import type { MsgValue } from '@ssb/feed'
import type { FeedId } from '@ssb/keys'
import { HISTORY_SLICE } from './constants.js'
import type { Logger, Replication } from './types.js'

export interface SenderContext {
  readFeed(feedId: FeedId, fromSeq: number, signal: AbortSignal): AsyncIterable<MsgValue>
  /** The replication record if the peer should still get this feed from us, else null. */
  sendable(feed: FeedId): Replication | null
  localSeq(feed: FeedId): number
  maxQueued: number
  logger: Logger | undefined
}

interface Cursor {
  feed: FeedId
  iterator: AsyncIterator<MsgValue>
  abort: AbortController
  count: number
}

/**
 * What one peer is owed. New messages that follow exactly what the peer has go to a bounded live
 * queue; everything else (history, overflow) is read lazily from the store, one feed at a time,
 * in slices so every wanted feed makes progress. Nothing is read until the transport pulls.
 */
export class Sender {
  private live: MsgValue[] = []
  private readonly toSend = new Set<FeedId>()
  private cursor: Cursor | null = null

  constructor(private readonly ctx: SenderContext) {}

  get queued(): number {
    return this.live.length
  }

  /** Feeds owed from the store (an open cursor counts while it still has something to send). */
  get backlog(): number {
    const cursor = this.cursor
    if (cursor === null) return this.toSend.size
    const sent = this.ctx.sendable(cursor.feed)?.sent ?? null
    const open = sent !== null && sent < this.ctx.localSeq(cursor.feed) ? 1 : 0
    return this.toSend.size + open
  }

  /** A new message that directly follows `rep.sent`: queue it, or fall back to the store. */
  offerLive(feed: FeedId, rep: Replication, value: MsgValue): void {
    if (this.live.length < this.ctx.maxQueued) {
      this.live.push(value)
      rep.sent = value.sequence
    } else {
      this.toSend.add(feed)
    }
  }

  /** The peer is behind on this feed: stream it from the store from `rep.sent + 1`. */
  markToSend(feed: FeedId): void {
    if (this.cursor?.feed !== feed) this.toSend.add(feed)
  }

  /** The peer's position moved backwards: forget queued messages and restart from the store. */
  restart(feed: FeedId): void {
    this.drop(feed)
    this.toSend.add(feed)
  }

  /** Stop sending this feed. */
  drop(feed: FeedId): void {
    if (this.live.some((v) => v.author === feed)) this.live = this.live.filter((v) => v.author !== feed)
    this.toSend.delete(feed)
    if (this.cursor?.feed === feed) this.closeCursor()
  }

  close(): void {
    this.live = []
    this.toSend.clear()
    this.closeCursor()
  }

  /** The next message to send, or null when nothing is owed right now. */
  async next(): Promise<MsgValue | null> {
    while (this.live.length > 0) {
      const value = this.live.shift() as MsgValue
      if (this.ctx.sendable(value.author)?.tx) return value
    }
    while (true) {
      const cursor = this.cursor ?? this.openCursor()
      if (cursor === null) return null
      let result: IteratorResult<MsgValue>
      try {
        result = await cursor.iterator.next()
      } catch (err) {
        this.ctx.logger?.error('ebt: reading a feed failed', { feed: cursor.feed, err })
        if (this.cursor === cursor) this.closeCursor()
        continue
      }
      if (this.cursor !== cursor) continue // dropped or restarted while we were reading
      const rep = this.ctx.sendable(cursor.feed)
      if (result.done || rep === null || !rep.tx || rep.sent === null) {
        this.closeCursor()
        // more was appended after the store's iterator ended: go again (unless it gave nothing)
        if (result.done && rep?.tx && rep.sent !== null && rep.sent < this.ctx.localSeq(cursor.feed) && cursor.count > 0) {
          this.toSend.add(cursor.feed)
        }
        continue
      }
      const value = result.value
      if (value.sequence <= rep.sent) continue // already went out through the live queue
      if (value.sequence !== rep.sent + 1) {
        this.ctx.logger?.warn('ebt: store returned a gap', { feed: cursor.feed, expected: rep.sent + 1, got: value.sequence })
        this.closeCursor()
        continue
      }
      rep.sent = value.sequence
      cursor.count++
      if (cursor.count >= HISTORY_SLICE && this.toSend.size > 0) {
        this.closeCursor()
        if (rep.sent < this.ctx.localSeq(value.author)) this.toSend.add(value.author)
      }
      return value
    }
  }

  private openCursor(): Cursor | null {
    for (const feed of this.toSend) {
      this.toSend.delete(feed)
      const rep = this.ctx.sendable(feed)
      if (rep === null || !rep.tx || rep.sent === null || rep.sent >= this.ctx.localSeq(feed)) continue
      const abort = new AbortController()
      try {
        const iterator = this.ctx.readFeed(feed, rep.sent + 1, abort.signal)[Symbol.asyncIterator]()
        this.cursor = { feed, iterator, abort, count: 0 }
        return this.cursor
      } catch (err) {
        this.ctx.logger?.error('ebt: reading a feed failed', { feed, err })
      }
    }
    return null
  }

  private closeCursor(): void {
    const cursor = this.cursor
    if (cursor === null) return
    this.cursor = null
    cursor.abort.abort()
    Promise.resolve(cursor.iterator.return?.()).catch(() => {})
  }
}

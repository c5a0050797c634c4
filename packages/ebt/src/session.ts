import type { FeedId } from '@ssb/keys'
import type { EbtError } from './errors.js'
import { encodeNoteV3, toWireNote } from './notes.js'
import { Sender, type SenderContext } from './sender.js'
import type { Replication } from './types.js'

/** One ebt.replicate stream with one peer: its clock, replication records and I/O state. */
export class PeerSession {
  /** What we know the peer has: seq per feed, -1 = the peer does not replicate it. */
  readonly clock = new Map<FeedId, number>()
  /** Per-feed records; null until the peer's stored clock is loaded (server) or its notes came (client). */
  replicating: Map<FeedId, Replication> | null = null
  /** Notes waiting to be sent (v3 encoding); an empty map still sends `{}`. */
  notes: Map<FeedId, number> | null = null
  /** When the peer last sent us a new message (or was made our source for a feed). */
  ts: number
  /** Feeds refused for this session after the peer sent an invalid message. */
  readonly invalid = new Set<FeedId>()
  invalidCount = 0
  forkCount = 0
  /** Messages from this peer waiting for append. */
  pendingReceive = 0
  /** The peer's stored clock was loaded (only then is it worth saving at the end). */
  clockLoaded = false
  ended = false
  error: EbtError | null = null
  readonly sender: Sender
  inputIterator: AsyncIterator<unknown> | null = null
  private woken = false
  private waiter: (() => void) | null = null
  private drainWaiter: (() => void) | null = null
  private readonly onEnd: (session: PeerSession, error: EbtError | null) => void

  constructor(
    readonly id: FeedId,
    readonly client: boolean,
    readonly version: number,
    now: number,
    sender: SenderContext,
    onEnd: (session: PeerSession, error: EbtError | null) => void,
  ) {
    this.ts = now
    this.sender = new Sender(sender)
    this.onEnd = onEnd
  }

  get ready(): boolean {
    return this.replicating !== null && !this.ended
  }

  /** epidemic-broadcast-trees `setNotes`: queue a note and mirror it in the record. */
  setNote(feed: FeedId, seq: number, receive = false): void {
    const note = encodeNoteV3(seq, receive)
    ;(this.notes ??= new Map()).set(feed, note)
    const rep = this.replicating?.get(feed)
    if (rep !== undefined) {
      rep.rx = note !== -1 && note % 2 === 0
      rep.requested = seq
    }
    this.wake()
  }

  takeNotesFrame(): Record<FeedId, number> {
    const frame: Record<FeedId, number> = {}
    for (const [feed, note] of this.notes ?? []) frame[feed] = toWireNote(note, this.version)
    this.notes = null
    return frame
  }

  wake(): void {
    this.woken = true
    const waiter = this.waiter
    this.waiter = null
    waiter?.()
  }

  drained(): void {
    const waiter = this.drainWaiter
    this.drainWaiter = null
    waiter?.()
  }

  waitForDrain(): Promise<void> {
    return new Promise((resolve) => {
      this.drainWaiter = resolve
    })
  }

  end(error: EbtError | null): void {
    if (this.ended) return
    this.ended = true
    this.error = error
    this.sender.close()
    const input = this.inputIterator
    this.inputIterator = null
    if (input?.return) Promise.resolve(input.return()).catch(() => {})
    this.onEnd(this, error)
    this.wake()
    this.drained()
  }

  /** What we send: notes first, then live messages, then history. Pulled by the transport. */
  async *output(signal?: AbortSignal): AsyncGenerator<unknown> {
    const onAbort = (): void => this.end(null)
    signal?.addEventListener('abort', onAbort, { once: true })
    if (signal?.aborted) this.end(null)
    try {
      while (!this.ended) {
        this.woken = false
        if (this.replicating !== null) {
          if (this.notes !== null) {
            yield this.takeNotesFrame()
            continue
          }
          const msg = await this.sender.next()
          if (msg !== null) {
            if (this.ended) break
            // the peer will have it: keeps the persisted clock (request skipping) accurate
            if ((this.clock.get(msg.author) ?? 0) < msg.sequence) this.clock.set(msg.author, msg.sequence)
            yield msg
            continue
          }
        }
        if (!this.woken && !this.ended) {
          await new Promise<void>((resolve) => {
            this.waiter = resolve
          })
        }
      }
      if (this.error !== null) throw this.error
    } finally {
      signal?.removeEventListener('abort', onAbort)
      this.end(null)
    }
  }
}

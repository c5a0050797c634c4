import type { MsgValue } from '@ssb/feed'
import type { FeedId } from '@ssb/keys'
import { MAX_FORKS_PER_PEER, MAX_INVALID_PER_PEER, MAX_REMOTE_CLOCK_FEEDS } from './constants.js'
import { EbtError } from './errors.js'
import { fromWireNote, isMessageFrame, readNotesFrame } from './notes.js'
import type { Receiver } from './receiver.js'
import type { PeerSession } from './session.js'
import type { Logger, Replication } from './types.js'

/** epidemic-broadcast-trees `max`: a peer's clock only grows, except that -1 always wins. */
function mergeSeq(a: number | undefined, b: number): number {
  if (a === undefined || a === -1 || b === -1) return b
  return Math.max(a, b)
}

/**
 * The replication state machine of epidemic-broadcast-trees 7 (events.js), over live sessions:
 * which feeds we ask whom for, what we owe whom, stall switching, blocks.
 */
export class Engine {
  readonly clock = new Map<FeedId, number>()
  readonly follows = new Set<FeedId>()
  readonly blocks = new Map<FeedId, Set<FeedId>>()
  readonly peers = new Map<FeedId, PeerSession>()
  receiver!: Receiver

  constructor(
    readonly id: FeedId,
    readonly timeoutMs: number,
    readonly logger: Logger | undefined,
    readonly now: () => number = Date.now,
  ) {}

  localSeq(feed: FeedId): number {
    return this.clock.get(feed) ?? 0
  }

  isBlocked(feed: FeedId, peerId: FeedId): boolean {
    return this.blocks.get(feed)?.has(peerId) === true
  }

  /** We replicate the feed and may exchange it with this peer. */
  isShared(feed: FeedId, peer: PeerSession): boolean {
    return this.follows.has(feed) && !this.isBlocked(feed, peer.id) && !peer.invalid.has(feed)
  }

  /** The record if we should send this feed to the peer. */
  sendable(peer: PeerSession, feed: FeedId): Replication | null {
    if (!peer.ready || !this.isShared(feed, peer)) return null
    return peer.replicating?.get(feed) ?? null
  }

  /** Another peer we currently receive this feed from. */
  rxPeer(feed: FeedId, except: PeerSession): PeerSession | undefined {
    for (const peer of this.peers.values()) {
      if (peer !== except && peer.replicating?.get(feed)?.rx) return peer
    }
    return undefined
  }

  /** ssb-ebt `peerClock`: our first notes to a peer, skipping feeds unchanged since last time. */
  initialNotes(peer: PeerSession): void {
    peer.replicating ??= new Map()
    peer.notes ??= new Map()
    for (const feed of this.follows) {
      const seq = peer.clock.get(feed)
      const lseq = this.localSeq(feed)
      if (!this.isShared(feed, peer) || seq === -1 || seq === lseq) continue
      const receive = this.rxPeer(feed, peer) === undefined
      peer.replicating.set(feed, { tx: false, rx: receive, sent: null, requested: lseq })
      peer.setNote(feed, lseq, receive)
    }
    peer.wake()
  }

  onFrame(peer: PeerSession, frame: unknown): void {
    if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) {
      this.logger?.debug('ebt: ignoring a non-object frame', { peer: peer.id })
      return
    }
    if (isMessageFrame(frame)) this.onMessage(peer, frame)
    else this.onNotes(peer, readNotesFrame(frame as Record<string, unknown>))
  }

  /** events.notes: the peer told us what it has and what it wants. */
  onNotes(peer: PeerSession, entries: [FeedId, number][]): void {
    if (peer.replicating === null) this.initialNotes(peer) // client: their notes came first
    const replicating = peer.replicating as Map<FeedId, Replication>
    const now = this.now()
    for (const [feed, wire] of entries) {
      const note = fromWireNote(wire, peer.version)
      const seq = mergeSeq(peer.clock.get(feed), note.seq)
      peer.clock.set(feed, seq)
      const lseq = this.localSeq(feed)
      let rep = replicating.get(feed)
      if (!this.isShared(feed, peer)) {
        if (rep === undefined) peer.setNote(feed, -1)
        replicating.set(feed, { tx: false, rx: false, sent: -1, requested: -1 })
        peer.sender.drop(feed)
        continue
      }
      const other = this.rxPeer(feed, peer)
      if (rep === undefined) {
        rep = { tx: true, rx: true, sent: note.seq, requested: lseq }
        replicating.set(feed, rep)
        peer.setNote(feed, lseq, lseq < seq && other === undefined)
      } else if (!rep.rx && seq > lseq) {
        if (other === undefined) {
          peer.ts = now
          peer.setNote(feed, lseq, true)
        } else if (seq > (other.clock.get(feed) ?? 0)) {
          // this peer is further ahead than our current source: switch
          peer.ts = now
          peer.setNote(feed, lseq, true)
          other.setNote(feed, lseq, false)
        }
      }
      // what the peer asks for now: a lower sequence than before is a request to send again
      const previous = rep.sent
      rep.tx = note.receive
      rep.sent = note.seq
      if (!rep.tx) peer.sender.drop(feed)
      else if (previous !== null && note.seq < previous) peer.sender.restart(feed)
      if (lseq > note.seq) {
        if (rep.tx) peer.sender.markToSend(feed)
        else if (note.seq !== -1) peer.setNote(feed, lseq, rep.rx)
      }
    }
    if (peer.clock.size > MAX_REMOTE_CLOCK_FEEDS) {
      peer.end(new EbtError('EBT_TOO_MANY_FEEDS', `peer announced more than ${MAX_REMOTE_CLOCK_FEEDS} feeds`))
    }
    peer.wake()
  }

  /** events.receive: a message from the peer. */
  onMessage(peer: PeerSession, msg: MsgValue): void {
    const feed = msg.author
    const rep = peer.replicating?.get(feed)
    if (rep === undefined) {
      this.logger?.debug('ebt: ignoring an unsolicited message', { peer: peer.id, feed })
      return
    }
    peer.clock.set(feed, mergeSeq(peer.clock.get(feed), msg.sequence))
    rep.sent = Math.max(rep.sent ?? -1, msg.sequence)
    const lseq = this.localSeq(feed)
    if (lseq >= msg.sequence) {
      // we have it already (from another peer): stop this one sending, as ssb-ebt does
      if (rep.rx) peer.setNote(feed, lseq, false)
      return
    }
    if (!this.isShared(feed, peer)) return
    peer.ts = this.now()
    this.receiver.offer(peer, msg)
  }

  /** events.append: we stored a message (received, or our own publish). */
  onAppend(value: MsgValue): void {
    const feed = value.author
    const seq = value.sequence
    const current = this.clock.get(feed)
    if (current !== undefined && seq <= current) return
    this.clock.set(feed, seq)
    this.receiver.appended(feed)
    for (const peer of this.peers.values()) {
      if (!peer.ready || !this.isShared(feed, peer)) continue
      const theirs = peer.clock.get(feed)
      const rep = peer.replicating?.get(feed)
      if (rep?.tx && rep.sent !== null && theirs !== undefined && theirs < seq) {
        if (rep.sent === seq - 1) peer.sender.offerLive(feed, rep, value)
        else if (rep.sent < seq - 1) peer.sender.markToSend(feed)
        peer.wake()
      } else if ((theirs === undefined || (theirs !== -1 && seq > theirs)) && (rep ? !rep.tx && rep.sent !== null : true)) {
        // we are ahead of a peer that is not receiving from us: let it know
        peer.setNote(feed, seq, false)
      }
    }
  }

  /** events.follow (replicate.request): start or stop replicating a feed. */
  follow(feed: FeedId, replicate: boolean): void {
    if (this.follows.has(feed) === replicate) return
    if (replicate) this.follows.add(feed)
    else this.follows.delete(feed)
    const lseq = this.localSeq(feed)
    let source: PeerSession | undefined
    if (replicate) {
      // ask the peer that claims the most; the others only hear our sequence
      for (const peer of this.peers.values()) {
        if (!peer.ready || !this.isShared(feed, peer)) continue
        const theirs = peer.clock.get(feed) ?? 0
        if (theirs > lseq && theirs > (source?.clock.get(feed) ?? 0)) source = peer
      }
    }
    let asked = source !== undefined
    for (const peer of this.peers.values()) {
      if (!peer.ready) continue
      const theirs = peer.clock.get(feed)
      const replicating = peer.replicating as Map<FeedId, Replication>
      if (!replicate) {
        if (replicating.has(feed)) {
          peer.setNote(feed, -1)
          replicating.set(feed, { tx: false, rx: false, sent: -1, requested: -1 })
        }
        peer.sender.drop(feed)
      } else if (this.isShared(feed, peer) && theirs !== -1 && (theirs !== lseq || replicating.has(feed))) {
        const receive = peer === source || !asked
        asked = true
        replicating.set(feed, { tx: false, rx: receive, sent: -1, requested: lseq })
        peer.setNote(feed, lseq, receive)
      }
    }
  }

  /** events.block: `from` blocks `to` (we never send `from`'s feed to `to`). */
  block(from: FeedId, to: FeedId, blocked: boolean): void {
    const set = this.blocks.get(from)
    if (blocked) {
      if (set?.has(to)) return
      this.blocks.set(from, (set ?? new Set()).add(to))
    } else {
      if (!set?.delete(to)) return
      if (set.size === 0) this.blocks.delete(from)
    }
    const peer = this.peers.get(to)
    if (peer === undefined) return
    if (from === this.id && blocked) {
      peer.end(null) // we blocked the peer itself: stop replicating with it at once
      return
    }
    if (!peer.ready) return
    if (blocked) {
      if (peer.replicating?.has(from)) peer.setNote(from, -1)
      peer.sender.drop(from)
    } else if (this.isShared(from, peer)) {
      const receive = this.rxPeer(from, peer) === undefined && (peer.clock.get(from) ?? 0) > this.localSeq(from)
      peer.replicating?.set(from, { tx: false, rx: receive, sent: -1, requested: this.localSeq(from) })
      peer.setNote(from, this.localSeq(from), receive)
    }
  }

  /** events.timeout: move feeds away from peers that went quiet while others have more. */
  timeout(): void {
    const now = this.now()
    const want = new Map<FeedId, PeerSession>()
    for (const peer of this.peers.values()) {
      if (!peer.ready || peer.ts + this.timeoutMs >= now) continue
      for (const [feed, rep] of peer.replicating as Map<FeedId, Replication>) {
        if (rep.rx && this.bestSource(feed, peer) !== undefined) {
          want.set(feed, peer)
          peer.setNote(feed, this.localSeq(feed), false)
        }
      }
    }
    for (const [feed, stalled] of want) this.switchRx(feed, stalled)
  }

  /** The peer (other than `except`) claiming the highest sequence above ours. */
  bestSource(feed: FeedId, except: PeerSession): PeerSession | undefined {
    let best: PeerSession | undefined
    const lseq = this.localSeq(feed)
    for (const peer of this.peers.values()) {
      if (peer === except || !peer.ready || !this.isShared(feed, peer)) continue
      const theirs = peer.clock.get(feed) ?? 0
      if (theirs > lseq && theirs > (best?.clock.get(feed) ?? 0)) best = peer
    }
    return best
  }

  /** Receive `feed` from the best other peer instead of `from` (unless someone else already is). */
  switchRx(feed: FeedId, from: PeerSession): void {
    if (this.rxPeer(feed, from) !== undefined) return
    const next = this.bestSource(feed, from)
    if (next === undefined) return
    const lseq = this.localSeq(feed)
    const replicating = next.replicating as Map<FeedId, Replication>
    if (!replicating.has(feed)) replicating.set(feed, { tx: false, rx: true, sent: -1, requested: lseq })
    next.setNote(feed, lseq, true)
    next.ts = this.now()
  }

  /** A batch from `peer` stopped at an invalid message (or `append` failed: local). */
  rejected(feed: FeedId, peer: PeerSession, error: Error & { code?: string }, local: boolean): void {
    const lseq = this.localSeq(feed)
    const blame = !local && error.code !== 'INVALID_SEQUENCE'
    if (local) this.logger?.error('ebt: storing messages failed', { feed, err: error })
    else if (!blame) this.logger?.debug('ebt: out of sequence', { feed, peer: peer.id })
    else this.refuse(peer, feed, error)
    // messages queued after the bad one were dropped: ask our sources again from where we are
    for (const other of this.peers.values()) {
      if (other.ready && (other !== peer || !blame) && other.replicating?.get(feed)?.rx) other.setNote(feed, lseq, true)
    }
    if (blame) this.switchRx(feed, peer)
  }

  /** The peer sent an invalid message of `feed`: refuse that feed from it for this session. */
  private refuse(peer: PeerSession, feed: FeedId, error: Error & { code?: string }): void {
    peer.invalid.add(feed)
    this.logger?.warn('ebt: peer sent an invalid message', { peer: peer.id, feed, code: error.code, message: error.message })
    if (peer.replicating?.has(feed)) {
      peer.setNote(feed, -1)
      const rep = peer.replicating.get(feed) as Replication
      rep.tx = false
    }
    peer.sender.drop(feed)
    if (error.code === 'FORK') peer.forkCount++
    else peer.invalidCount++
    if (peer.invalidCount >= MAX_INVALID_PER_PEER || peer.forkCount >= MAX_FORKS_PER_PEER) {
      peer.end(new EbtError('EBT_PEER_MISBEHAVING', `peer sent ${peer.invalidCount} invalid messages and ${peer.forkCount} forks`))
    }
  }
}

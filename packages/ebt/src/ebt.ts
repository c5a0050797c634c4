import { type FeedId, isFeedId } from '@ssb/keys'
import {
  DEFAULT_MAX_PENDING_RECEIVE_PER_PEER,
  DEFAULT_MAX_QUEUED_PER_PEER,
  DEFAULT_TIMEOUT_MS,
  MAX_APPEND_BATCH,
  MIN_APPEND_BATCH,
  SUPPORTED_VERSIONS,
} from './constants.js'
import { Engine } from './engine.js'
import { EbtError } from './errors.js'
import { peerStatus, progress } from './status.js'
import { Receiver } from './receiver.js'
import { PeerSession } from './session.js'
import type { EbtDeps, EbtOptions, PeerStatus, Progress, ReplicateOptions, VectorClock } from './types.js'

export interface Ebt {
  readonly id: FeedId
  /** replicate.request / ebt.request: add or remove a feed from the replicate set. */
  request(feedId: FeedId, replicate?: boolean): void
  /** ebt.block: `from` blocks `to`; we never send `from`'s feed to `to`. If `from` is us, `to`'s stream ends. */
  block(from: FeedId, to: FeedId, blocked?: boolean): void
  /**
   * The ebt.replicate duplex with one peer: `input` is what the peer sends, the returned
   * iterable what we send (pulled by the transport). Throws EbtError for a bad version/peer id.
   */
  replicate(peerId: FeedId, input: AsyncIterable<unknown>, opts: ReplicateOptions): AsyncIterable<unknown>
  /** ebt.peerStatus: our seq of a feed (default: our own) and what each connected peer has. */
  peerStatus(feedId?: FeedId): PeerStatus
  /** Replication progress as ssb-ebt reports it in `progress().ebt`. */
  progress(): Progress
  /** Resolves when our clock is loaded (rejects with EBT_CLOCK_UNAVAILABLE). */
  ready(): Promise<void>
  /** Our latest sequence per feed as the engine knows it. */
  clock(): VectorClock
  /** Ids of peers with an open replicate stream. */
  peers(): FeedId[]
  /** Queue sizes for one peer (for metrics and tests), null if not connected. */
  queueStats(peerId: FeedId): { liveQueued: number; backlogFeeds: number; pendingReceive: number; pendingNotes: number } | null
  /** Ends every stream (cleanly), stops timers, waits for per-peer clocks to be saved. */
  close(): Promise<void>
}

export function createEbt(deps: EbtDeps, opts: EbtOptions = {}): Ebt {
  const logger = deps.logger?.child({ scope: 'ebt' })
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const maxQueued = opts.maxQueuedPerPeer ?? DEFAULT_MAX_QUEUED_PER_PEER
  const maxPendingReceive = opts.maxPendingReceivePerPeer ?? DEFAULT_MAX_PENDING_RECEIVE_PER_PEER
  const engine = new Engine(deps.id, timeoutMs, logger)
  engine.receiver = new Receiver({
    appendRuns: deps.appendRuns ?? ((runs) => Promise.all(runs.map((values) => deps.append(values)))),
    localSeq: (feed) => engine.localSeq(feed),
    maxBatch: opts.maxAppendBatch ?? MAX_APPEND_BATCH,
    minBatch: Math.min(MIN_APPEND_BATCH, opts.maxAppendBatch ?? MAX_APPEND_BATCH),
    onRejected: (feed, peer, error, local) => engine.rejected(feed, peer, error, local),
    logger,
  })
  const saving = new Set<Promise<void>>()
  let closed = false

  const unsubscribe = deps.onAppend((value) => engine.onAppend(value))
  const loaded: Promise<void> = Promise.resolve()
    .then(() => deps.getClock())
    .then(
      (clock) => {
        for (const [feed, seq] of Object.entries(clock)) {
          if (Number.isSafeInteger(seq) && seq > engine.localSeq(feed as FeedId)) engine.clock.set(feed as FeedId, seq)
        }
      },
      (err: unknown) => {
        throw new EbtError('EBT_CLOCK_UNAVAILABLE', 'could not load the local vector clock', { cause: err })
      },
    )
  loaded.catch((err: unknown) => logger?.error('ebt: no local clock', { err }))

  const timer = setInterval(() => engine.timeout(), timeoutMs)
  timer.unref?.()

  function onEnd(session: PeerSession, error: EbtError | null): void {
    if (engine.peers.get(session.id) === session) engine.peers.delete(session.id)
    if (error) logger?.info('ebt: stream ended', { peer: session.id, code: error.code })
    if (session.replicating !== null) {
      for (const [feed, rep] of session.replicating) if (rep.rx) engine.switchRx(feed, session)
    }
    if (!session.clockLoaded) return
    // Request skipping only holds for feeds both sides replicated: a feed the peer declined (-1)
    // or we declined (our -1) is left out, so a later follow on either side is announced again
    // instead of both sides waiting for the other's note (ssb-ebt deadlocks there).
    const clock: VectorClock = {}
    for (const [feed, seq] of session.clock) {
      if (seq === -1 || session.replicating?.get(feed)?.requested === -1) continue
      clock[feed] = seq
    }
    const save = deps.clockStore
      .save(session.id, clock)
      .catch((err: unknown) => logger?.warn('ebt: could not save a peer clock', { peer: session.id, err }))
      .finally(() => saving.delete(save))
    saving.add(save)
  }

  async function runInput(session: PeerSession, input: AsyncIterable<unknown>): Promise<void> {
    try {
      await loaded
      const stored = await deps.clockStore.load(session.id).catch((err: unknown) => {
        logger?.warn('ebt: could not load a peer clock', { peer: session.id, err })
        return null
      })
      if (session.ended) return
      for (const [feed, seq] of Object.entries(stored ?? {})) {
        if (isFeedId(feed) && Number.isSafeInteger(seq) && seq >= -1) session.clock.set(feed, seq)
      }
      session.clockLoaded = true
      if (!session.client) engine.initialNotes(session) // the callee speaks first
      const iterator = input[Symbol.asyncIterator]()
      session.inputIterator = iterator
      while (!session.ended) {
        let result: IteratorResult<unknown>
        try {
          result = await iterator.next()
        } catch (err) {
          logger?.debug('ebt: peer input ended with an error', { peer: session.id, err })
          break
        }
        if (result.done || session.ended) break
        engine.onFrame(session, result.value)
        while (session.pendingReceive >= maxPendingReceive && !session.ended) await session.waitForDrain()
      }
      session.end(null)
    } catch (err) {
      if (err instanceof EbtError) session.end(err)
      else {
        logger?.error('ebt: replication failed', { peer: session.id, err })
        session.end(new EbtError('EBT_INTERNAL', 'replication failed', { cause: err }))
      }
    }
  }

  return {
    id: deps.id,
    request(feedId, replicate = true) {
      if (isFeedId(feedId)) engine.follow(feedId, replicate !== false)
    },
    block(from, to, blocked = true) {
      if (isFeedId(from) && isFeedId(to)) engine.block(from, to, blocked !== false)
    },
    replicate(peerId, input, o) {
      if (closed) throw new EbtError('EBT_CLOSED', 'ebt is closed')
      if (!SUPPORTED_VERSIONS.includes(o.version)) {
        throw new EbtError('EBT_UNSUPPORTED_VERSION', 'expected ebt.replicate({version: 3 or 2})')
      }
      if (!isFeedId(peerId)) throw new EbtError('EBT_INVALID_PEER', 'peer id must be a feed id')
      engine.peers.get(peerId)?.end(new EbtError('EBT_REPLACED', 'reconnected to peer'))
      const session: PeerSession = new PeerSession(
        peerId,
        o.isClient,
        o.version,
        Date.now(),
        {
          readFeed: deps.readFeed,
          sendable: (feed) => engine.sendable(session, feed),
          localSeq: (feed) => engine.localSeq(feed),
          maxQueued,
          logger,
        },
        onEnd,
      )
      if (engine.isBlocked(deps.id, peerId)) {
        session.end(null) // we block this peer: nothing to say
        return session.output(o.signal)
      }
      engine.peers.set(peerId, session)
      void runInput(session, input)
      return session.output(o.signal)
    },
    peerStatus: (feedId) => peerStatus(engine, feedId ?? deps.id),
    progress: () => progress(engine),
    ready: () => loaded,
    clock: () => Object.fromEntries(engine.clock),
    peers: () => [...engine.peers.keys()],
    queueStats(peerId) {
      const session = engine.peers.get(peerId)
      if (session === undefined) return null
      return {
        liveQueued: session.sender.queued,
        backlogFeeds: session.sender.backlog,
        pendingReceive: session.pendingReceive,
        pendingNotes: session.notes?.size ?? 0,
      }
    },
    async close() {
      if (closed) return
      closed = true
      clearInterval(timer)
      unsubscribe()
      for (const session of [...engine.peers.values()]) session.end(null)
      await engine.receiver.close()
      await Promise.all(saving)
    },
  }
}

// The blobs want/have protocol of ssb-blobs 1.2.2 (inject.js), transport-agnostic
// (protocol.md §10, §16 trap 15).
import type { BlobId } from '@ssb/keys'
import {
  DEFAULT_MAX_BLOB_BYTES,
  DEFAULT_PUSHY,
  DEFAULT_SYMPATHY,
  MAX_HAVES_PER_PEER,
  MAX_PENDING_WANT_ENTRIES,
  MAX_WANTS_PER_PEER,
  FETCH_IDLE_TIMEOUT_MS,
} from './constants.js'
import { abortError, BlobsError, isBlobsError } from './errors.js'
import { assertBlobId, EMPTY_BLOB_ID } from './ids.js'
import { Subscription } from './live.js'
import { silentLogger } from './logger.js'
import type { BlobPeer, BlobsSync, BlobsSyncDeps, BlobsSyncOptions, WantMap } from './sync-types.js'
import { decodeWantMap } from './want-map.js'

interface PeerState {
  peer: BlobPeer
  /** Blobs this peer told us it has, with their sizes. */
  haves: Map<BlobId, number>
  /** Blobs this peer asked for that we recorded (and forwarded); capped. */
  asked: Set<BlobId>
  streams: Set<Subscription<WantMap>>
  abort: AbortController
}

interface Waiter {
  resolve: (v: true) => void
  reject: (err: unknown) => void
}

function nonNegativeInt(value: number | undefined, fallback: number, title: string): number {
  const v = value ?? fallback
  if (!Number.isSafeInteger(v) || v < 0) throw new BlobsError('BLOB_INVALID_ARGUMENT', `${title} must be a non-negative integer`)
  return v
}

export function createBlobsSync(deps: BlobsSyncDeps, opts: BlobsSyncOptions = {}): BlobsSync {
  const { store } = deps
  const logger = (deps.logger ?? silentLogger).child({ component: 'blobs:sync' })
  const sympathy = nonNegativeInt(opts.sympathy, DEFAULT_SYMPATHY, 'sympathy')
  const maxSize = nonNegativeInt(opts.maxSize, DEFAULT_MAX_BLOB_BYTES, 'maxSize')
  const pushy = nonNegativeInt(opts.pushy, DEFAULT_PUSHY, 'pushy')
  const maxWantsPerPeer = nonNegativeInt(opts.maxWantsPerPeer, MAX_WANTS_PER_PEER, 'maxWantsPerPeer')
  const idleTimeoutMs = nonNegativeInt(opts.fetchIdleTimeoutMs, FETCH_IDLE_TIMEOUT_MS, 'fetchIdleTimeoutMs')

  const peers = new Map<string, PeerState>()
  /** Our want map: -1 for our own wants, n − 1 for wants forwarded on behalf of peers. */
  const wantHops = new Map<BlobId, number>()
  const waiters = new Map<BlobId, Set<Waiter>>()
  const requesters = new Map<BlobId, Set<string>>()
  /** Blobs we push, with the peers known to have them. */
  const pushing = new Map<BlobId, Set<string>>()
  const getting = new Map<BlobId, string>()
  const lifetime = new AbortController()
  let closed = false

  function send(state: PeerState, update: WantMap): void {
    for (const s of state.streams) s.push(update)
  }

  function broadcast(id: BlobId, n: number): void {
    const update = { [id]: n }
    for (const state of peers.values()) send(state, update)
  }

  function misbehave(peerId: string, reason: string): void {
    logger.warn('peer misbehaved', { peer: peerId, reason })
    try {
      deps.onMisbehave?.(peerId, reason)
    } catch (err) {
      logger.error('onMisbehave threw', { err })
    }
  }

  function availableFrom(id: BlobId): string | undefined {
    for (const [peerId, state] of peers) {
      const size = state.haves.get(id)
      if (size !== undefined && size <= maxSize) return peerId
    }
    return undefined
  }

  function fetchFrom(peerId: string, id: BlobId): void {
    const state = peers.get(peerId)
    if (!state || getting.has(id) || closed) return
    getting.set(id, peerId)
    void (async () => {
      let ok = false
      const fetch = new AbortController()
      const onPeerGone = () => fetch.abort()
      state.abort.signal.addEventListener('abort', onPeerGone, { once: true })
      let idle: ReturnType<typeof setTimeout> | undefined
      const touch = () => {
        if (idle) clearTimeout(idle)
        idle = setTimeout(() => fetch.abort(), idleTimeoutMs)
        idle.unref?.()
      }
      // Forwards next()/return() straight to the source (a generator would queue return()
      // behind a pending next()), resetting the idle timer on every chunk.
      const watched = (source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> => ({
        [Symbol.asyncIterator]() {
          const it = source[Symbol.asyncIterator]()
          touch()
          return {
            next: () => {
              const p = it.next().then((r) => {
                touch()
                return r
              })
              // The store may stop awaiting once aborted; the rejection is not lost, only not fatal.
              p.catch(() => {})
              return p
            },
            return: (value?: unknown) => (it.return ? it.return(value) : Promise.resolve({ done: true as const, value: undefined })),
          }
        },
      })
      try {
        const signal = fetch.signal
        await store.add(watched(state.peer.get(id, { max: maxSize, signal })), { expectedId: id, maxSize, signal })
        ok = true
      } catch (err) {
        state.haves.delete(id)
        if (isBlobsError(err, 'BLOB_HASH_MISMATCH')) misbehave(peerId, `BLOB_HASH_MISMATCH: sent bytes that are not ${id}`)
        else if (isBlobsError(err, 'BLOB_TOO_LARGE')) misbehave(peerId, `BLOB_TOO_LARGE: sent more than ${maxSize} bytes for ${id}`)
        else logger.debug('blob fetch failed', { peer: peerId, id, err })
      } finally {
        if (idle) clearTimeout(idle)
        state.abort.signal.removeEventListener('abort', onPeerGone)
        getting.delete(id)
      }
      if (!ok && wantHops.has(id)) {
        const next = availableFrom(id)
        if (next !== undefined) fetchFrom(next, id)
      }
    })()
  }

  function releaseRequest(peerId: string, id: BlobId): void {
    const who = requesters.get(id)
    if (!who) return
    who.delete(peerId)
    if (who.size > 0) return
    requesters.delete(id)
    if (!waiters.has(id)) wantHops.delete(id) // nobody wants it any more; wants are never retracted on the wire
  }

  function onWantFromPeer(peerId: string, state: PeerState, id: BlobId, hops: number): void {
    if (Math.abs(hops) > sympathy) return
    if (!state.asked.has(id)) {
      if (state.asked.size >= maxWantsPerPeer) return
      state.asked.add(id)
      let who = requesters.get(id)
      if (!who) requesters.set(id, (who = new Set()))
      who.add(peerId)
    }
    const current = wantHops.get(id)
    if (current === undefined || current < hops) {
      wantHops.set(id, hops)
      broadcast(id, hops)
      const from = availableFrom(id)
      if (from !== undefined) fetchFrom(from, id)
    }
  }

  function onHave(peerId: string, state: PeerState, id: BlobId, size: number): void {
    if (state.haves.size < MAX_HAVES_PER_PEER || state.haves.has(id) || wantHops.has(id)) state.haves.set(id, size)
    const pushedTo = pushing.get(id)
    if (pushedTo) {
      pushedTo.add(peerId)
      if (pushedTo.size >= pushy) {
        pushing.delete(id)
        logger.debug('pushed blob reached enough peers', { id, peers: pushedTo.size })
      }
    }
    if (wantHops.has(id) && !getting.has(id) && size <= maxSize) fetchFrom(peerId, id)
  }

  async function processFrame(peerId: string, state: PeerState, frame: unknown): Promise<void> {
    const { wants, haves, ignored, invalid } = decodeWantMap(frame)
    if (invalid || ignored > 0) logger.debug('ignored want-map entries', { peer: peerId, ignored, invalid })
    const answer: WantMap = {}
    let answered = false
    for (const [id, n] of wants) {
      const size = await store.size(id)
      if (!peers.has(peerId)) return
      if (size !== null && size > 0) {
        answer[id] = size
        answered = true
      } else if (size === null) onWantFromPeer(peerId, state, id, n - 1)
    }
    for (const [id, n] of haves) onHave(peerId, state, id, n)
    // Haves answer wants through OUR createWants stream to that peer (trap 15).
    if (answered) send(state, answer)
  }

  function onAdded(id: BlobId, size: number): void {
    wantHops.delete(id)
    for (const peerId of requesters.get(id) ?? []) peers.get(peerId)?.asked.delete(id)
    requesters.delete(id)
    if (size > 0) broadcast(id, size)
    const ws = waiters.get(id)
    waiters.delete(id)
    for (const w of ws ?? []) w.resolve(true)
  }

  void (async () => {
    try {
      for await (const id of store.changes({ signal: lifetime.signal })) {
        const size = await store.size(id)
        if (size !== null) onAdded(id, size)
      }
    } catch (err) {
      if (!closed) logger.error('blob change feed ended', { err })
    }
  })()

  function initialMap(): WantMap {
    const map: WantMap = Object.fromEntries(wantHops)
    for (const id of pushing.keys()) map[id] = -1
    return map
  }

  function dropPeer(peerId: string, state: PeerState): void {
    if (peers.get(peerId) !== state) return
    peers.delete(peerId)
    state.abort.abort()
    for (const s of state.streams) s.end()
    for (const id of state.asked) releaseRequest(peerId, id)
    state.asked.clear()
    state.haves.clear()
  }

  return {
    async want(id, wantOpts = {}) {
      assertBlobId(id)
      if (closed) throw new BlobsError('BLOB_CLOSED', 'blobs sync is closed')
      const { signal } = wantOpts
      if (signal?.aborted) throw abortError(signal)
      if (id === EMPTY_BLOB_ID) return true
      return new Promise<true>((resolve, reject) => {
        let set = waiters.get(id)
        if (!set) waiters.set(id, (set = new Set()))
        const waiter: Waiter = {
          resolve: (v) => {
            signal?.removeEventListener('abort', onAbort)
            resolve(v)
          },
          reject,
        }
        const onAbort = (): void => {
          const ws = waiters.get(id)
          ws?.delete(waiter)
          if (ws?.size === 0) {
            waiters.delete(id)
            if (!requesters.has(id)) wantHops.delete(id)
          }
          reject(abortError(signal))
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        set.add(waiter) // before the has() check, so an add in between still resolves us
        // Like ssb-blobs, broadcast at once rather than after the has() check: a blob added
        // meanwhile is still announced, and the want is visible synchronously.
        if (wantHops.get(id) !== -1) {
          wantHops.set(id, -1)
          broadcast(id, -1)
        }
        const from = availableFrom(id)
        if (from !== undefined) fetchFrom(from, id)
        store.has(id).then(
          (have) => {
            if (have && waiters.has(id)) onAdded(id, 0)
          },
          (err: unknown) => waiter.reject(err),
        )
      })
    },

    async push(id) {
      assertBlobId(id)
      if (!(await store.has(id))) throw new BlobsError('BLOB_NOT_FOUND', `cannot push a blob we do not have: ${id}`)
      if (pushing.has(id)) return
      pushing.set(id, new Set())
      broadcast(id, -1)
    },

    addPeer(peerId, peer) {
      if (closed) throw new BlobsError('BLOB_CLOSED', 'blobs sync is closed')
      const old = peers.get(peerId)
      if (old) dropPeer(peerId, old)
      const state: PeerState = { peer, haves: new Map(), asked: new Set(), streams: new Set(), abort: new AbortController() }
      peers.set(peerId, state)
      return {
        createWants(streamOpts = {}) {
          const sub = new Subscription<WantMap>((s) => state.streams.delete(s), streamOpts.signal, MAX_PENDING_WANT_ENTRIES)
          if (peers.get(peerId) !== state) {
            sub.end()
            return sub
          }
          sub.push(initialMap())
          if (!sub.closed) state.streams.add(sub)
          return sub
        },
        async receiveWants(stream) {
          try {
            for await (const frame of stream) {
              if (peers.get(peerId) !== state) break
              await processFrame(peerId, state, frame)
            }
          } finally {
            // Their stream is gone: what they have or wanted is no longer known.
            state.haves.clear()
            for (const id of state.asked) releaseRequest(peerId, id)
            state.asked.clear()
          }
        },
        async remoteHas(ids) {
          const answers: boolean[] = []
          for (const id of ids) {
            assertBlobId(id)
            const size = await store.size(id)
            answers.push(size !== null)
            if (size === null && peers.get(peerId) === state) onWantFromPeer(peerId, state, id, -2)
          }
          return answers
        },
        remove: () => dropPeer(peerId, state),
      }
    },

    wants: initialMap,

    close() {
      if (closed) return
      closed = true
      lifetime.abort()
      for (const [peerId, state] of [...peers]) dropPeer(peerId, state)
      for (const ws of waiters.values()) for (const w of ws) w.reject(new BlobsError('BLOB_CLOSED', 'blobs sync is closed'))
      waiters.clear()
    },
  }
}

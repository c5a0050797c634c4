import type { BlobId } from '@ssb/keys'
import type { Logger } from './logger.js'
import type { BlobStore } from './types.js'

/** What the engine needs from the store. */
export type SyncStore = Pick<BlobStore, 'add' | 'has' | 'size' | 'changes'>

export interface BlobsSyncDeps {
  store: SyncStore
  logger?: Logger
  /** Called when a peer sends bytes that do not match the id it claimed, or too many bytes. */
  onMisbehave?: (peerId: string, reason: string) => void
}

export interface BlobsSyncOptions {
  /** Forward wants while the hop count stays within this (ssb-blobs `sympathy`, default 3). */
  sympathy?: number
  /** Largest blob fetched from a peer (ssb-blobs `max`, default 5 MiB). */
  maxSize?: number
  /** Stop advertising a pushed blob once this many peers have it (default 3). */
  pushy?: number
  /** Outstanding wants recorded per peer (default MAX_WANTS_PER_PEER = 1000). */
  maxWantsPerPeer?: number
  /** Abandon a fetch that gets no bytes for this long and ask another peer (default FETCH_IDLE_TIMEOUT_MS). */
  fetchIdleTimeoutMs?: number
}

/** The remote side of one connection: `get` calls that peer's `blobs.get({key: id, max})`. */
export interface BlobPeer {
  get(id: BlobId, opts: { max: number; signal: AbortSignal }): AsyncIterable<Uint8Array>
}

export type WantMap = Record<string, number>

export interface BlobsPeerHandle {
  /**
   * Our answer to the peer's `blobs.createWants()` call: first our full want map (negative hop
   * counts, `{}` if empty), then incremental updates, including `{id: size}` haves in answer to
   * the peer's wants. Ends when the peer is removed or `signal` aborts.
   */
  createWants(opts?: { signal?: AbortSignal }): AsyncIterable<WantMap>
  /** Consumes the stream returned by the peer's `blobs.createWants()`; resolves when it ends. */
  receiveWants(stream: AsyncIterable<unknown>): Promise<void>
  /**
   * A remote `blobs.has(ids)` call (legacy): counted as wants from this peer, as ssb-blobs does.
   * Answers whether we have each blob.
   */
  remoteHas(ids: readonly string[]): Promise<boolean[]>
  /** Forget the peer: abort its fetches, end its streams, drop its wants and haves. */
  remove(): void
}

export interface BlobsSync {
  /** Resolves `true` once the blob is in the store (asking peers for it meanwhile). */
  want(id: string, opts?: { signal?: AbortSignal }): Promise<true>
  /** Advertise a local blob until `pushy` peers have it. */
  push(id: string): Promise<void>
  addPeer(peerId: string, peer: BlobPeer): BlobsPeerHandle
  /** Our current want map (what a new peer would receive first). */
  wants(): WantMap
  close(): void
}

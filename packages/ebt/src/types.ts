import type { MsgValue } from '@ssb/feed'
import type { FeedId } from '@ssb/keys'

type LogFn = (msg: string, ctx?: object) => void
export interface Logger {
  error: LogFn
  warn: LogFn
  info: LogFn
  debug: LogFn
  child(bindings: object): Logger
}

export type VectorClock = Record<FeedId, number>

export interface AppendResult {
  /** The stored prefix of the batch, in order. */
  stored: MsgValue[]
  /** Why the message after the stored prefix was refused (a ValidationError with `code`). */
  error?: Error & { code?: string; fatal?: boolean }
}

export interface ClockStore {
  /** The clock this peer had when we last saw it (`~/.ssb/ebt/<id>` in ssb-ebt), or null. */
  load(peerId: FeedId): Promise<VectorClock | null>
  save(peerId: FeedId, clock: VectorClock): Promise<void>
}

export interface EbtDeps {
  /** Our own feed id. */
  id: FeedId
  /** Our latest sequence per feed. */
  getClock(): Promise<VectorClock> | VectorClock
  /** Our stored messages of one feed from `fromSeq` (inclusive), in order. */
  readFeed(feedId: FeedId, fromSeq: number, signal: AbortSignal): AsyncIterable<MsgValue>
  /** Validates and stores a run of consecutive messages of one feed (db.addBatch). */
  append(values: MsgValue[]): Promise<AppendResult>
  /**
   * `append` for several feeds' runs in one call (one db.addBatch), one result per run in
   * order. Optional; without it each run goes to `append`. Replication interleaves many feeds,
   * so this is what keeps store calls (and fsyncs) few and signature checks in large batches.
   */
  appendRuns?(runs: MsgValue[][]): Promise<AppendResult[]>
  /** Every message we store, from any source (our publishes too). Returns an unsubscribe. */
  onAppend(listener: (value: MsgValue) => void): () => void
  clockStore: ClockStore
  logger?: Logger
}

export interface EbtOptions {
  /** Stall timeout for switching a feed to another peer (ms). Default 3000. */
  timeoutMs?: number
  /** Live messages buffered per peer before falling back to the store. Default 256. */
  maxQueuedPerPeer?: number
  /** Received messages per peer awaiting validation before we stop reading. Default 1024. */
  maxPendingReceivePerPeer?: number
  /** Messages per appendRuns() call, over all its feeds. Default 500. */
  maxAppendBatch?: number
}

export interface ReplicateOptions {
  /** True when we called ebt.replicate on the peer (we dialled); the callee speaks first. */
  isClient: boolean
  /** 3, or 2 for the legacy note encoding. */
  version: number
  signal?: AbortSignal
}

/** Per feed and peer, as epidemic-broadcast-trees keeps it. */
export interface Replication {
  /** The peer wants messages of this feed from us. */
  tx: boolean
  /** We asked the peer to send this feed. */
  rx: boolean
  /** The latest sequence the peer has (sent by us, by them, or claimed); null = not yet known. */
  sent: number | null
  /** The sequence we last told the peer we have (-1 = not replicating). */
  requested: number | null
}

export interface PeerStatus {
  id: FeedId
  seq: number | undefined
  peers: Record<FeedId, { seq: number | undefined; replicating: Replication | undefined }>
}

export interface Progress {
  start: number
  current: number
  target: number
}

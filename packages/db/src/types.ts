import type { RawJson } from './record.js'
import type { FeedId, Keys, MsgId } from '@ssb/keys'
import type { FeedState, KVT, MsgValue, ValidationError } from '@ssb/feed'

type LogFn = (msg: string, ctx?: object) => void
export interface Logger {
  error: LogFn
  warn: LogFn
  info: LogFn
  debug: LogFn
  child(bindings: object): Logger
}

export interface DbDeps {
  keys: Keys
  logger?: Logger
}

export interface ReindexProgress {
  phase: 'reindex' | 'compact'
  /** Log bytes processed since the rebuild/catch-up started. */
  done: number
  /** Log bytes to process in total. */
  total: number
}

export interface DbOptions {
  dir: string
  /** caps.sign: HMAC key for message signatures (null/absent on the main network). */
  hmacKey?: Uint8Array | string | null
  /** Passed to @ssb/log: 'always' (default) fsyncs before a write is acknowledged. */
  sync?: 'always' | 'none'
  /** Worker threads for signature checks in addBatch (default 0: the calling thread). */
  batchWorkers?: number
  onProgress?: (p: ReindexProgress) => void
  /**
   * Decrypts a private message for the local user: receives the stored value (content is the
   * `.box` string) and returns the plaintext content object, or null when it is not for us.
   */
  unbox?: (value: MsgValue, readKey?: string) => Record<string, unknown> | null
  /** Encrypts content that carries `recps` for publish(); without it such content is refused. */
  box?: (content: Record<string, unknown>) => string
}

export interface StreamOptions {
  gt?: number
  gte?: number
  lt?: number
  lte?: number
  reverse?: boolean
  /** Maximum number of items (old and live together); negative or absent = no limit. */
  limit?: number
  live?: boolean
  old?: boolean
  keys?: boolean
  values?: boolean
  /** Return decrypted content (value.content = plaintext, value.meta.private = true). */
  private?: boolean
  /**
   * For transports (createLogStream, createUserStream, messagesByType): when nothing is
   * decrypted (and no prefilter is given), old items that are whole messages or values come as
   * RawJson, the stored JSON unparsed. Live items stay objects.
   */
  raw?: boolean
  signal?: AbortSignal
}

/**
 * A cheap first test of each message, made on just the fields it names where the record can be
 * read in part (much cheaper than parsing it all). `test` must give the same answer on those
 * fields as on the whole message (`{key, value, timestamp}`, with `rts` for readIndex); it may
 * also be called with the whole message. Messages it rejects are left out.
 */
export interface Prefilter {
  fields: ReadonlyArray<readonly string[]>
  test: (message: Record<string, unknown>) => boolean
}

export interface LogStreamOptions extends StreamOptions {
  /** Leave out messages this rejects (see Prefilter); private ones are tested decrypted. */
  where?: Prefilter
}

export interface HistoryStreamOptions {
  id: string
  /** As StreamOptions.raw. */
  raw?: boolean
  seq?: number
  sequence?: number
  live?: boolean
  old?: boolean
  keys?: boolean
  values?: boolean
  limit?: number
  signal?: AbortSignal
}

export interface UserStreamOptions extends StreamOptions {
  id: string
}

export interface TypeStreamOptions extends StreamOptions {
  type: string
}

export interface LinksOptions {
  source?: string
  dest?: string
  rel?: string
  /** Default true: include `key`. */
  keys?: boolean
  /** Default false: include the message `value`. */
  values?: boolean
  /** Default true: rows are `{source, rel, dest, key[, value]}`. */
  meta?: boolean
  live?: boolean
  old?: boolean
  reverse?: boolean
  limit?: number
  private?: boolean
  signal?: AbortSignal
}

export interface LinkRow {
  source: string
  rel: string
  dest: string
  key?: MsgId
  value?: MsgValue
}

/** links() item: a row (meta, the default), or with meta:false `{key, value}`, the id or the value. */
export type LinkItem = LinkRow | MsgId | MsgValue | { key: MsgId; value: MsgValue }

export interface GetOptions {
  id: string
  /** Return `{key, value, timestamp}` instead of the value. */
  meta?: boolean
  private?: boolean
  /** Key passed to the unbox hook (also taken from a `?unbox=` suffix on the id). */
  unbox?: string
}

export interface LatestItem {
  id: FeedId
  sequence: number
  ts: number
}

export type ContactWeight = 1 | -1 | -2

export interface ContactEdge {
  source: FeedId
  dest: FeedId
  value: ContactWeight
}

export interface AddBatchResult {
  /** Newly stored messages, in input order. */
  stored: KVT[]
  /** Messages skipped because they are already stored. */
  duplicates: number
  /** The first validation error (in input order); its feed's later messages were not stored. */
  error?: ValidationError
  /** One entry per feed that stopped at an invalid message. */
  errors: ValidationError[]
}

export interface IndexProgress {
  indexes: { start: number; current: number; target: number }
}

/** One of ssb-query 2.4's sorted indexes (see QUERY_INDEXES for their tuples). */
export type QueryIndexName = 'log' | 'clk' | 'typ' | 'tya' | 'cha' | 'aty' | 'ata' | 'art' | 'lor'

export interface IndexReadOptions {
  index: QueryIndexName
  /** Inclusive lower bound, one value per tuple field; `null` (or missing) = below everything. */
  gte: unknown[]
  /** Inclusive upper bound, one value per tuple field; `undefined` (or missing) = above everything. */
  lte: unknown[]
  reverse?: boolean
  live?: boolean
  old?: boolean
  /** With old and live: emit `{sync: true}` once the old part is done. */
  sync?: boolean
  /** Default true: private messages we can read come decrypted (ssb-db's view of them). */
  private?: boolean
  /**
   * The only paths of `{key, value, timestamp, rts}` the caller will look at (e.g. `['value',
   * 'author']`): items may then hold just those (each with its whole value, and the objects on
   * the way to it) instead of the whole message, which spares parsing the rest of each record.
   * A hint: any item may still come whole (private messages, the live part).
   */
  fields?: ReadonlyArray<readonly string[]>
  /** Leave out messages this rejects (see Prefilter), before most of each record is read. */
  where?: Prefilter
  /**
   * For transports: whole items of the old part may come as RawJson, the exact JSON text of
   * the item, straight from the stored record (not parsed, not re-serialised). Private messages
   * and live items come as objects. Ignored with `fields`.
   */
  raw?: boolean
  signal?: AbortSignal
}

/** readIndex() item: the message with ssb-query's `rts`, or the old/live boundary marker. */
export type IndexItem = (KVT & { rts: number }) | { sync: true }

/** Any stream item: KVT, id string, value, link row or `{id, sequence, ts}`. */
/** Any stream item; RawJson only when asked for with `raw`. */
export type StreamItem = KVT | MsgId | MsgValue | RawJson

export interface Db {
  readonly id: FeedId
  publish(content: Record<string, unknown> | string): Promise<KVT>
  add(value: unknown): Promise<KVT>
  addBatch(values: unknown[]): Promise<AddBatchResult>
  get(id: string | GetOptions): Promise<MsgValue | KVT>
  createHistoryStream(opts: HistoryStreamOptions): AsyncIterable<StreamItem>
  createUserStream(opts: UserStreamOptions): AsyncIterable<StreamItem>
  createLogStream(opts?: LogStreamOptions): AsyncIterable<StreamItem>
  createFeedStream(opts?: StreamOptions): AsyncIterable<StreamItem>
  messagesByType(opts: string | TypeStreamOptions): AsyncIterable<StreamItem>
  links(opts: LinksOptions): AsyncIterable<LinkItem>
  /**
   * Range read of one of ssb-query's sorted indexes, in that index's (charwise) order: the
   * building block of query.read, which plans which index and which bounds to use.
   */
  readIndex(opts: IndexReadOptions & { raw: true }): AsyncIterable<IndexItem | RawJson>
  readIndex(opts: IndexReadOptions): AsyncIterable<IndexItem>
  latest(opts?: { signal?: AbortSignal }): AsyncIterable<LatestItem>
  getLatest(feedId: string): Promise<{ key: MsgId; value: MsgValue } | null>
  latestSequence(feedId: string): Promise<number>
  getVectorClock(): Promise<Record<FeedId, number>>
  /** In-memory latest state of a feed (no disk read), null if unknown. */
  feedState(feedId: string): FeedState | null
  getContacts(): Promise<Record<FeedId, Record<FeedId, ContactWeight>>>
  contactEdges(opts?: { live?: boolean; old?: boolean; signal?: AbortSignal }): AsyncIterable<ContactEdge>
  /** Called after each stored message is indexed (original, never decrypted, value). */
  onMessage(listener: (kvt: KVT) => void): () => void
  progress(): IndexProgress
  del(target: string): Promise<void>
  erase(feedId: string): Promise<number>
  compact(opts?: { signal?: AbortSignal }): Promise<void>
  /** Compares every index entry with a full log scan; returns human-readable problems. */
  verifyIndexes(): Promise<string[]>
  close(): Promise<void>
}

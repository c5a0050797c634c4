import { type FeedId, isFeedId } from '@ssb/keys'
import { DiffChannel } from './channel.js'
import { BULK_EDGE_THRESHOLD, DEFAULT_HOPS } from './constants.js'
import { FriendsError } from './errors.js'
import { ContactGraph } from './graph.js'
import { type HopsDiff, IncrementalHops } from './incremental.js'
import { type LegacyGraph, legacyGet } from './legacy.js'
import { traverse } from './traverse.js'
import type {
  ContactEdge,
  ContactWeight,
  EdgeListener,
  FriendsDeps,
  FriendsOptions,
  FriendStreamOptions,
  HopsOptions,
  HopStreamOptions,
  LegacyValue,
  ReplicationListener,
} from './types.js'

export interface Friends {
  readonly id: FeedId
  /** The configured maximum hops. */
  readonly max: number
  /** Applies the latest contact edge of a pair (a repeat of the current value is a no-op). */
  addEdge(edge: ContactEdge): void
  /** Applies many edges; large batches rebuild the hop map once instead of per edge. */
  addEdges(edges: Iterable<ContactEdge>): void
  /** ssb-friends `hops`: `{feed: hops}`; 0 self, n followed at n hops, negative blocked/unfollowed. */
  hops(opts?: HopsOptions): Record<FeedId, number>
  /** Our hop value for one feed (undefined when out of reach). */
  hopsOf(feedId: FeedId): number | undefined
  /** Whether we replicate the feed: self, or within hops and not blocked. */
  isReplicated(feedId: FeedId): boolean
  isFollowing(opts: { source: FeedId; dest: FeedId }): boolean
  isBlocking(opts: { source: FeedId; dest: FeedId }): boolean
  /** ssb-friends legacy `get`: true = follow, false = block, null = unfollow. */
  get(opts?: { source?: FeedId; dest?: FeedId }): LegacyValue | Record<FeedId, LegacyValue> | LegacyGraph
  /** Legacy stream of feeds within hops (ids, or `{id, hops}` with meta), then live changes. */
  createFriendStream(opts?: FriendStreamOptions): AsyncIterable<FeedId | { id: FeedId; hops: number }>
  /** The hop map, then (live) objects of changed values; feeds that leave the map are not listed. */
  hopStream(opts?: HopStreamOptions): AsyncIterable<Record<FeedId, number>>
  /**
   * Replicate-set changes. With `old` (default true) the listener first gets every feed that is
   * replicated or blocked by us now.
   */
  onReplicationChange(listener: ReplicationListener, opts?: { old?: boolean }): () => void
  /** Every edge change (for ebt.block); with `old` the existing edges are replayed first. */
  onEdge(listener: EdgeListener, opts?: { old?: boolean }): () => void
  readonly edgeCount: number
}

interface ReplicationState {
  replicate: boolean
  blocked: boolean
}

function validateEdge(edge: ContactEdge): void {
  const { source, dest, value } = edge ?? ({} as ContactEdge)
  if (!isFeedId(source) || !isFeedId(dest)) throw new FriendsError('FRIENDS_INVALID_EDGE', 'contact edge needs feed ids')
  if (value !== 1 && value !== -1 && value !== -2) {
    throw new FriendsError('FRIENDS_INVALID_EDGE', `contact weight must be 1, -1 or -2, got ${String(value)}`)
  }
}

function toRecord(hops: ReadonlyMap<FeedId, number>, filter?: (h: number) => boolean): Record<FeedId, number> {
  const out: Record<FeedId, number> = {}
  for (const [id, h] of hops) if (filter === undefined || filter(h)) out[id] = h
  return out
}

export function createFriends(deps: FriendsDeps, opts: FriendsOptions = {}): Friends {
  const { id: self, logger } = deps
  const max = opts.hops ?? DEFAULT_HOPS
  if (!isFeedId(self)) throw new FriendsError('FRIENDS_INVALID_OPTIONS', 'deps.id must be a feed id')
  if (typeof max !== 'number' || !(max >= 0)) throw new FriendsError('FRIENDS_INVALID_OPTIONS', 'opts.hops must be a number >= 0')

  const graph = new ContactGraph()
  const incremental = new IncrementalHops(graph, self, max)
  const edgeListeners = new Set<EdgeListener>()
  const replicationListeners = new Set<ReplicationListener>()
  const channels = new Set<DiffChannel>()
  const replication = new Map<FeedId, ReplicationState>([[self, { replicate: true, blocked: false }]])

  function stateOf(feed: FeedId): ReplicationState {
    const blocked = graph.get(self, feed) === -1
    const h = incremental.hops.get(feed)
    return { replicate: feed === self || (h !== undefined && h >= 0 && !blocked), blocked }
  }

  function publish(diff: HopsDiff, touched: Iterable<FeedId>): void {
    for (const channel of channels) channel.push(diff)
    const check = (feed: FeedId): void => {
      const before = replication.get(feed) ?? { replicate: false, blocked: false }
      const now = stateOf(feed)
      if (now.replicate === before.replicate && now.blocked === before.blocked) return
      if (now.replicate || now.blocked) replication.set(feed, now)
      else replication.delete(feed)
      for (const listener of replicationListeners) listener(feed, now.replicate, now.blocked)
    }
    for (const feed of diff.keys()) check(feed)
    for (const feed of touched) if (!diff.has(feed)) check(feed)
  }

  /** Stores the edge; returns false if nothing changed, else the previous weight (or undefined). */
  function setEdge(edge: ContactEdge): ContactWeight | undefined | false {
    const previous = graph.set(edge.source, edge.dest, edge.value)
    if (previous === edge.value) return false
    for (const listener of edgeListeners) listener({ source: edge.source, dest: edge.dest, value: edge.value }, previous)
    return previous
  }

  function addEdge(edge: ContactEdge): void {
    validateEdge(edge)
    const previous = setEdge(edge)
    if (previous === false) return
    const diff = incremental.edgeChanged(edge.source, edge.dest, previous)
    publish(diff, edge.source === self ? [edge.dest] : [])
  }

  function addEdges(edges: Iterable<ContactEdge>): void {
    const list = Array.isArray(edges) ? (edges as ContactEdge[]) : [...edges]
    for (const edge of list) validateEdge(edge)
    if (list.length < BULK_EDGE_THRESHOLD && list.length <= incremental.hops.size) {
      for (const edge of list) addEdge(edge)
      return
    }
    const touched: FeedId[] = []
    for (const edge of list) if (setEdge(edge) !== false && edge.source === self) touched.push(edge.dest)
    const diff = incremental.rebuild()
    logger?.debug('friends: rebuilt hops', { edges: list.length, changed: diff.size })
    publish(diff, touched)
  }

  function hops(o: HopsOptions = {}): Record<FeedId, number> {
    if (o === null || typeof o !== 'object') throw new FriendsError('FRIENDS_INVALID_OPTIONS', 'hops options must be an object')
    const start = o.start || self
    const limit = o.max || max
    if (typeof start !== 'string' || typeof limit !== 'number') {
      throw new FriendsError('FRIENDS_INVALID_OPTIONS', 'hops: start must be a feed id and max a number')
    }
    if (o.reverse === true) return toRecord(traverse(graph.in, start as FeedId, limit))
    if (start !== self || limit > max) return toRecord(traverse(graph.out, start as FeedId, limit))
    if (limit === max) return toRecord(incremental.hops)
    // like layered-graph: a smaller max filters the stored map (negative values stay)
    return toRecord(incremental.hops, (h) => h <= limit)
  }

  function subscribe(signal: AbortSignal | undefined): DiffChannel {
    const channel = new DiffChannel(signal, () => channels.delete(channel))
    channels.add(channel)
    return channel
  }

  async function* hopStream(o: HopStreamOptions = {}): AsyncGenerator<Record<FeedId, number>> {
    const channel = o.live === true ? subscribe(o.signal) : null
    if (o.old !== false && incremental.hops.size > 0) yield toRecord(incremental.hops)
    if (channel === null) return
    for await (const diff of channel) {
      const out: Record<FeedId, number> = {}
      let any = false
      for (const [id, h] of diff) {
        if (h === undefined) continue
        out[id] = h
        any = true
      }
      if (any) yield out
    }
  }

  async function* createFriendStream(o: FriendStreamOptions = {}): AsyncGenerator<FeedId | { id: FeedId; hops: number }> {
    const limit = o.hops ?? max
    const item = (id: FeedId, h: number) => (o.meta ? { id, hops: h } : id)
    const channel = o.live === true ? subscribe(o.signal) : null
    const initial = [...incremental.hops].filter(([, h]) => h >= 0 && h <= limit)
    for (const [id, h] of initial) yield item(id, h)
    if (channel === null) return
    for await (const diff of channel) {
      for (const [id, h] of diff) if (h !== undefined && h <= limit) yield item(id, h)
    }
  }

  return {
    id: self,
    max,
    addEdge,
    addEdges,
    hops,
    hopsOf: (feed) => incremental.hops.get(feed),
    isReplicated: (feed) => stateOf(feed).replicate,
    isFollowing: ({ source, dest }) => (graph.get(source, dest) ?? -1) >= 0,
    isBlocking: ({ source, dest }) => graph.get(source, dest) === -1,
    get: (o) => legacyGet(graph, o),
    createFriendStream,
    hopStream,
    onReplicationChange(listener, o = {}) {
      if (o.old !== false) for (const [feed, s] of [...replication]) listener(feed, s.replicate, s.blocked)
      replicationListeners.add(listener)
      return () => {
        replicationListeners.delete(listener)
      }
    },
    onEdge(listener, o = {}) {
      if (o.old === true) {
        for (const [source, out] of graph.out) {
          for (const [dest, value] of out) listener({ source, dest, value }, undefined)
        }
      }
      edgeListeners.add(listener)
      return () => {
        edgeListeners.delete(listener)
      }
    },
    get edgeCount() {
      return graph.edgeCount
    },
  }
}


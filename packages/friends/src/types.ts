import type { FeedId } from '@ssb/keys'

/** 1 = follow, -1 = block (or flag), -2 = unfollow; the latest contact message per pair wins. */
export type ContactWeight = 1 | -1 | -2

export interface ContactEdge {
  source: FeedId
  dest: FeedId
  value: ContactWeight
}

type LogFn = (msg: string, ctx?: object) => void
export interface Logger {
  error: LogFn
  warn: LogFn
  info: LogFn
  debug: LogFn
  child(bindings: object): Logger
}

export interface FriendsDeps {
  /** Our own feed: hop 0, always replicated. */
  id: FeedId
  logger?: Logger
}

export interface FriendsOptions {
  /** Replicate feeds up to this many hops away (ssb-config `friends.hops`, default 2). */
  hops?: number
}

export interface HopsOptions {
  /** Traverse from this feed instead of our own. */
  start?: FeedId
  /** Maximum hops (0 or absent = the configured value). */
  max?: number
  /** Follow edges backwards: who follows `start`, and who follows them. */
  reverse?: boolean
}

/** ssb-friends `get` values: true = follow, false = block, null = unfollow / no edge. */
export type LegacyValue = true | false | null

export interface FriendStreamOptions {
  /** Keep the stream open and emit changes (default false). */
  live?: boolean
  /** Emit `{id, hops}` instead of bare ids. */
  meta?: boolean
  /** Only initial feeds with 0 <= hops <= this (default: the configured hops). */
  hops?: number
  signal?: AbortSignal
}

export interface HopStreamOptions {
  live?: boolean
  /** Emit the current hop map first (default true). */
  old?: boolean
  signal?: AbortSignal
}

/** A change of the replicate set: feeds within hops (and self) replicate; blockedByUs = we block it. */
export type ReplicationListener = (feedId: FeedId, replicate: boolean, blockedByUs: boolean) => void

/** Called for every edge change; `previous` is undefined for a new pair. */
export type EdgeListener = (edge: ContactEdge, previous: ContactWeight | undefined) => void

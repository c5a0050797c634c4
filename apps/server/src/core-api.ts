import type { Db } from '@ssb/db'
import { decodeMultiserver, type MultiserverPart } from '@ssb/gossip'
import type { Api, CallInfo } from '@ssb/rpc'
import { boundedLive } from './bounded-live.js'
import { badArgs, feedIdArg, isPlainObject, msgIdArg, optsArg, streamOpts } from './args.js'
import type { ServerStatus } from './types.js'

export interface CoreDeps {
  id: string
  version: string
  db: Db
  manifest: () => object
  address: (scope?: unknown) => string | null
  status: () => ServerStatus
  progress: () => object
  help: () => object
  /** A peer asked for a live history stream (legacy replication, protocol.md trap 13). */
  onHistoryRequest?: (call: CallInfo) => void
  /** Whether `author` blocks `peer`: its feed is then not served to that peer. */
  isBlocked?: (author: string, peer: string) => boolean
}

const MAX_CONTENT_TYPE = 52
const MIN_CONTENT_TYPE = 3

/** ssb-db's `msgContent` check: an object with a type string (or a pre-boxed string). */
function contentArg(value: unknown): Record<string, unknown> | string {
  if (typeof value === 'string') {
    if (!value.endsWith('.box') && !/\.box\d*$/.test(value)) throw badArgs('publish: string content must be an encrypted .box string')
    return value
  }
  if (!isPlainObject(value)) throw badArgs('publish: content must be an object with a type')
  const type = value.type
  if (typeof type !== 'string' || type.length < MIN_CONTENT_TYPE || type.length > MAX_CONTENT_TYPE) {
    throw badArgs(`publish: content.type must be a string of ${MIN_CONTENT_TYPE} to ${MAX_CONTENT_TYPE} characters`)
  }
  return value
}

/** createHistoryStream takes `{id, seq, live, …}` or the legacy positional `(id, seq, live)`. */
function historyArgs(args: unknown[], signal: AbortSignal) {
  const first = args[0]
  const o: Record<string, unknown> =
    typeof first === 'string' ? { id: first, seq: args[1], live: args[2] } : optsArg(args, 'createHistoryStream')
  const opts = streamOpts(o, signal)
  feedIdArg(opts.id, 'createHistoryStream')
  // Peers must never get decrypted content or local metadata from a history stream.
  delete opts.private
  return opts as typeof opts & { id: string }
}

/**
 * ssb-db 20 builds the index range of `links` from source/dest/rel alone, so gt/lt/limit are
 * ignored (whatever their type); and like every flumeview-level read, a live stream with old
 * rows marks where they end with `{sync: true}` unless `sync: false`.
 */
function linksOpts(o: Record<string, unknown>, signal: AbortSignal): Record<string, unknown> & { signal: AbortSignal } {
  const { gt: _gt, gte: _gte, lt: _lt, lte: _lte, limit: _limit, ...rest } = o
  const opts = streamOpts(rest, signal)
  if (opts.live === true && opts.old !== false && o.sync !== false) opts.sync = true
  return opts
}

/** Live streams to peers get a byte-bounded lag buffer (see boundedLive); others stream as they are. */
function live<T>(source: AsyncIterable<T>, opts: Record<string, unknown>, call: CallInfo): AsyncIterable<T> {
  return opts.live === true ? boundedLive(source, call.signal) : source
}

/**
 * The ssb-db methods of ssb-server 16 plus secret-stack's core (protocol.md §7). Streams of
 * stored messages ask the store for `raw` items: old messages go out as the JSON they are
 * stored as, never parsed and serialised again.
 */
export function coreApi(deps: CoreDeps): Api {
  const { db } = deps
  return {
    auth: () => undefined,
    address: (args: unknown[]) => deps.address(args[0]),
    getAddress: (args: unknown[]) => deps.address(args[0]),
    manifest: () => deps.manifest(),
    multiserver: {
      parse: (args: unknown[]) => {
        if (typeof args[0] !== 'string') throw badArgs('multiserver.parse: expected an address string')
        return parseMultiserver(args[0])
      },
      address: (args: unknown[]) => deps.address(args[0]),
    },
    whoami: () => ({ id: deps.id }),
    version: () => deps.version,
    status: () => deps.status(),
    progress: () => deps.progress(),
    help: () => deps.help(),
    publish: (args: unknown[]) => db.publish(contentArg(args[0])),
    add: (args: unknown[]) => db.add(args[0]),
    get: (args: unknown[]) => {
      const a = args[0]
      if (typeof a === 'string') return db.get(msgIdArg(a, 'get'))
      if (isPlainObject(a)) {
        const id = msgIdArg(a.id, 'get')
        return db.get({ id, meta: a.meta === true, private: a.private === true })
      }
      throw badArgs('get: expected a message id or {id, meta, private}')
    },
    del: (args: unknown[]) => {
      const target = args[0]
      if (typeof target !== 'string') throw badArgs('del: expected a message id or feed id')
      return db.del(target)
    },
    getLatest: (args: unknown[]) => db.getLatest(feedIdArg(args[0], 'getLatest')),
    latestSequence: (args: unknown[]) => db.latestSequence(feedIdArg(args[0], 'latestSequence')),
    getFeedState: async (args: unknown[]) => {
      const state = db.feedState(feedIdArg(args[0], 'getFeedState'))
      return state ? { id: state.id, sequence: state.sequence } : { id: null, sequence: 0 }
    },
    getVectorClock: () => db.getVectorClock(),
    latest: (_args: unknown[], call: CallInfo) => db.latest({ signal: call.signal }),
    createHistoryStream: (args: unknown[], call: CallInfo) => {
      const opts = historyArgs(args, call.signal)
      if (!call.isMaster && deps.isBlocked?.(opts.id, call.remoteId)) return []
      if (opts.live === true) deps.onHistoryRequest?.(call)
      return live(db.createHistoryStream({ ...opts, raw: true }), opts, call)
    },
    createUserStream: (args: unknown[], call: CallInfo) => {
      const o = streamOpts(optsArg(args, 'createUserStream'), call.signal)
      feedIdArg(o.id, 'createUserStream')
      return live(db.createUserStream({ ...(o as typeof o & { id: string }), raw: true }), o, call)
    },
    createLogStream: (args: unknown[], call: CallInfo) => {
      const o = streamOpts(optsArg(args, 'createLogStream'), call.signal)
      return live(db.createLogStream({ ...o, raw: true }), o, call)
    },
    createFeedStream: (args: unknown[], call: CallInfo) => {
      const o = streamOpts(optsArg(args, 'createFeedStream'), call.signal)
      return live(db.createFeedStream(o), o, call)
    },
    messagesByType: (args: unknown[], call: CallInfo) => {
      const o = typeof args[0] === 'string' ? { type: args[0] } : optsArg(args, 'messagesByType')
      const opts = streamOpts(o, call.signal)
      if (typeof opts.type !== 'string') throw badArgs('messagesByType: expected a type')
      return live(db.messagesByType({ ...(opts as typeof opts & { type: string }), raw: true }), opts, call)
    },
    links: (args: unknown[], call: CallInfo) => {
      const o = linksOpts(optsArg(args, 'links'), call.signal)
      return live(db.links(o), o, call)
    },
  }
}

/**
 * multiserver.parse for the address forms this server speaks (protocol.md §3), on the one
 * parser the server has (@ssb/gossip): `!` escapes, size limits, typed errors for bad input.
 */
export function parseMultiserver(address: string): Array<Array<{ name: string; [k: string]: unknown }>> {
  let decoded: MultiserverPart[][]
  try {
    decoded = decodeMultiserver(address)
  } catch (err) {
    throw badArgs(`multiserver.parse: ${(err as Error).message}`)
  }
  return decoded.map((alt) =>
    alt.map(({ name, data }) => {
      if ((name === 'net' || name === 'onion') && data.length >= 2) {
        return { name, host: data.slice(0, -1).join(':'), port: Number(data[data.length - 1]) }
      }
      if (name === 'shs') return { name, key: data[0], ...(data[1] ? { seed: data[1] } : {}) }
      return { name, data }
    }),
  )
}

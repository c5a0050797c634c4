import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { Db } from '@ssb/db'
import { type AppendResult, createEbt, SUPPORTED_VERSIONS, type Ebt } from '@ssb/ebt'
import type { MsgValue } from '@ssb/feed'
import { createFriends, type Friends } from '@ssb/friends'
import { isFeedId, type FeedId } from '@ssb/keys'
import type { Api, CallInfo, Manifest, RpcConnection } from '@ssb/rpc'
import { badArgs, feedIdArg, isPlainObject, optsArg } from './args.js'
import { fileClockStore } from './clock-store.js'
import { LegacyReplicator } from './legacy-replication.js'
import type { PeerConnection } from './listeners.js'
import type { Logger } from './logger.js'
import { deferredIterable, type Subsystem } from './subsystem.js'
import { toNumber } from './util.js'

export interface ReplicationDeps {
  id: FeedId
  db: Db
  logger: Logger
  /** Where per-peer EBT clocks are kept. */
  dir: string
}

export interface ReplicationOptions {
  hops: number
  /** Stall timeout for EBT rx switching. */
  timeoutMs?: number
}

/** friends + ebt + legacy createHistoryStream replication, wired to the store and to peers. */
export const REPLICATION_MANIFEST: Manifest = {
  ebt: { replicate: 'duplex', request: 'sync', block: 'sync', peerStatus: 'sync' },
  replicate: { request: 'sync' },
  friends: {
    hops: 'async',
    isFollowing: 'async',
    isBlocking: 'async',
    get: 'async',
    createFriendStream: 'source',
    hopStream: 'source',
    follow: 'async',
    block: 'async',
  },
}

export interface Replication extends Subsystem {
  friends: Friends
  ebt: Ebt
  /** A peer asked us for a live history stream: it replicates the legacy way, so do the same. */
  onHistoryRequest(connection: RpcConnection, remoteId: string): void
}

export function createReplication(deps: ReplicationDeps, opts: ReplicationOptions): Replication {
  const { id, db, logger } = deps
  const abort = new AbortController()
  const friends = createFriends({ id, logger: logger.child({ scope: 'friends' }) }, { hops: opts.hops })
  const ebt = createEbt(
    {
      id,
      getClock: () => db.getVectorClock(),
      // keys: false yields the values themselves
      readFeed: (feedId, fromSeq, signal) => db.createHistoryStream({ id: feedId, seq: fromSeq, keys: false, signal }) as AsyncIterable<MsgValue>,
      append: async (batch) => {
        const r = await db.addBatch(batch)
        return r.error ? { stored: r.stored.map((k) => k.value), error: r.error } : { stored: r.stored.map((k) => k.value) }
      },
      appendRuns: (runs) => appendRuns(db, runs),
      onAppend: (listener) => db.onMessage((kvt) => listener(kvt.value)),
      clockStore: fileClockStore(join(deps.dir, 'ebt')),
      logger: logger.child({ scope: 'ebt' }),
    },
    opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs },
  )
  const legacy = new LegacyReplicator({ db, friends, logger: logger.child({ scope: 'legacy' }) })

  friends.onReplicationChange((feedId, replicate) => {
    ebt.request(feedId, replicate)
    legacy.request(feedId, replicate)
  }, { old: true })
  friends.onEdge((edge) => ebt.block(edge.source, edge.dest, edge.value === -1), { old: true })

  // The contact graph comes from the store: old edges first, then live ones as messages arrive.
  void (async () => {
    try {
      for await (const edge of db.contactEdges({ old: true, live: true, signal: abort.signal })) friends.addEdge(edge)
    } catch (err) {
      if (!abort.signal.aborted) logger.error('contact graph stream failed', { err })
    }
  })()

  /** We dialled: call ebt.replicate; if the peer has no EBT, fall back to createHistoryStream. */
  const startEbtAsClient = (conn: PeerConnection) => {
    const input = deferredIterable<unknown>()
    const output = ebt.replicate(conn.id as FeedId, input.iterable, { isClient: true, version: 3 })
    let remote: AsyncIterable<unknown>
    try {
      remote = conn.rpc.duplex(['ebt', 'replicate'], [{ version: 3, format: 'classic' }], output)
    } catch (err) {
      input.reject(err)
      legacy.start(conn.rpc, conn.id)
      return
    }
    let sawData = false
    input.resolve(
      (async function* () {
        try {
          for await (const item of remote) {
            sawData = true
            yield item
          }
        } catch (err) {
          if (!sawData && !conn.rpc.closed) {
            logger.info('peer has no EBT; using createHistoryStream', { peer: conn.id, reason: (err as Error).message })
            legacy.start(conn.rpc, conn.id)
          }
          throw err
        }
      })(),
    )
  }

  const api: Api = {
    ebt: {
      replicate: (args: unknown[], call: CallInfo, input: AsyncIterable<unknown>) => {
        const o = optsArg(args, 'ebt.replicate')
        const version = o.version ?? 3
        if (typeof version !== 'number' || !SUPPORTED_VERSIONS.includes(version)) throw badArgs(`ebt.replicate: unsupported version ${String(version)}`)
        if (o.format !== undefined && o.format !== 'classic') throw badArgs(`ebt.replicate: unsupported format ${String(o.format)}`)
        return ebt.replicate(call.remoteId as FeedId, input, { isClient: false, version, signal: call.signal })
      },
      request: (args: unknown[]) => {
        ebt.request(feedIdArg(args[0], 'ebt.request') as FeedId, args[1] !== false)
        return undefined
      },
      block: (args: unknown[]) => {
        ebt.block(feedIdArg(args[0], 'ebt.block') as FeedId, feedIdArg(args[1], 'ebt.block') as FeedId, args[2] !== false)
        return undefined
      },
      peerStatus: (args: unknown[]) => ebt.peerStatus(args[0] === undefined ? undefined : (feedIdArg(args[0], 'ebt.peerStatus') as FeedId)),
    },
    replicate: {
      request: (args: unknown[]) => {
        const a = args[0]
        const [feedId, on] = isPlainObject(a) ? [a.id, a.replicate !== false] : [a, args[1] !== false]
        const feed = feedIdArg(feedId, 'replicate.request') as FeedId
        ebt.request(feed, on)
        legacy.request(feed, on)
        return undefined
      },
    },
    friends: {
      hops: (args: unknown[]) => {
        const o = optsArg(args, 'friends.hops')
        return friends.hops({
          ...(isFeedId(o.start) ? { start: o.start } : {}),
          ...(typeof o.max === 'number' ? { max: o.max } : {}),
          ...(o.reverse === true ? { reverse: true } : {}),
        })
      },
      isFollowing: (args: unknown[]) => {
        const o = optsArg(args, 'friends.isFollowing')
        return friends.isFollowing({ source: feedIdArg(o.source, 'friends.isFollowing') as FeedId, dest: feedIdArg(o.dest, 'friends.isFollowing') as FeedId })
      },
      isBlocking: (args: unknown[]) => {
        const o = optsArg(args, 'friends.isBlocking')
        return friends.isBlocking({ source: feedIdArg(o.source, 'friends.isBlocking') as FeedId, dest: feedIdArg(o.dest, 'friends.isBlocking') as FeedId })
      },
      get: (args: unknown[]) => {
        const o = optsArg(args, 'friends.get')
        return friends.get({
          ...(isFeedId(o.source) ? { source: o.source } : {}),
          ...(isFeedId(o.dest) ? { dest: o.dest } : {}),
        })
      },
      createFriendStream: (args: unknown[], call: CallInfo) => {
        const o = optsArg(args, 'friends.createFriendStream')
        return friends.createFriendStream({
          live: o.live === true,
          meta: o.meta === true,
          ...(typeof o.hops === 'number' ? { hops: o.hops } : {}),
          signal: call.signal,
        })
      },
      hopStream: (args: unknown[], call: CallInfo) => {
        const o = optsArg(args, 'friends.hopStream')
        return friends.hopStream({ live: o.live === true, old: o.old !== false, signal: call.signal })
      },
      follow: (args: unknown[]) => publishContact(db, args, 'friends.follow', 'following'),
      block: (args: unknown[]) => publishContact(db, args, 'friends.block', 'blocking'),
    },
  }

  return {
    name: 'replication',
    friends,
    ebt,
    manifest: REPLICATION_MANIFEST,
    api,
    anonymous: ['ebt.replicate'],
    onConnection(conn) {
      if (conn.transport === 'unix' || conn.id === id) return
      if (conn.isClient) startEbtAsClient(conn)
    },
    onHistoryRequest(connection: RpcConnection, remoteId: string) {
      if (remoteId !== id && !ebt.peers().includes(remoteId as FeedId)) legacy.start(connection, remoteId)
    },
    progress: () => ebt.progress(),
    async close() {
      abort.abort()
      legacy.close()
      await ebt.close()
    },
  }
}

/**
 * Several feeds' runs in one db.addBatch, split back into one result per run. addBatch names
 * its errors in input order but not their feeds: when every short run has one, they pair up;
 * otherwise (duplicates too) each short run is asked about again on its own, which stores
 * nothing twice and reproduces its error.
 */
async function appendRuns(db: Db, runs: MsgValue[][]): Promise<AppendResult[]> {
  const r = await db.addBatch(runs.flat())
  const stored = new Map<string, MsgValue[]>()
  for (const kvt of r.stored) {
    const list = stored.get(kvt.value.author)
    if (list) list.push(kvt.value)
    else stored.set(kvt.value.author, [kvt.value])
  }
  const results: AppendResult[] = runs.map((run) => ({ stored: run.length > 0 ? (stored.get(run[0]!.author) ?? []) : [] }))
  const short = runs.flatMap((run, i) => (results[i]!.stored.length < run.length ? [i] : []))
  if (r.errors.length === 0) return results
  if (short.length === r.errors.length) {
    short.forEach((i, n) => (results[i]!.error = r.errors[n]!))
    return results
  }
  for (const i of short) {
    const again = await db.addBatch(runs[i]!)
    results[i] = { stored: [...results[i]!.stored, ...again.stored.map((k) => k.value)], ...(again.error ? { error: again.error } : {}) }
  }
  return results
}

/**
 * Signature-check threads for received batches (config `db.batchWorkers`): by default one per
 * spare core, at most two, so verifying replicated feeds does not hold up the event loop.
 */
export function batchWorkersFor(config: Record<string, unknown>): number {
  const configured = isPlainObject(config.db) ? config.db.batchWorkers : undefined
  return Math.max(0, Math.floor(toNumber(configured, Math.min(2, availableParallelism() - 1))))
}

async function publishContact(db: Db, args: unknown[], method: string, field: 'following' | 'blocking'): Promise<unknown> {
  const contact = feedIdArg(args[0], method)
  const o = isPlainObject(args[1]) ? args[1] : {}
  const state = o.state === undefined ? true : o.state
  if (typeof state !== 'boolean') throw badArgs(`${method}: state must be a boolean`)
  const content: Record<string, unknown> = { type: 'contact', contact, [field]: state }
  if (Array.isArray(o.recps)) content.recps = o.recps
  if (typeof o.reason === 'string') content.reason = o.reason
  return db.publish(content)
}

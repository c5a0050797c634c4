import { BlobsError, createBlobsSync, openBlobStore, DEFAULT_MAX_BLOB_BYTES, type BlobStore, type BlobsSync, type BlobsPeerHandle } from '@ssb/blobs'
import type { Db } from '@ssb/db'
import { isBlobId } from '@ssb/keys'
import type { Api, CallInfo, Manifest, RpcConnection } from '@ssb/rpc'
import { badArgs, isPlainObject } from './args.js'
import type { PeerConnection } from './listeners.js'
import type { Logger } from './logger.js'
import type { Subsystem } from './subsystem.js'

export interface BlobsConfig {
  /** Largest blob stored or fetched (ssb-blobs `max`), default 5 MiB. */
  max?: number
  /** Evict least recently used blobs of others above this many bytes; off by default. */
  quotaBytes?: number
  /** Want blobs linked from messages as they arrive (default true). */
  autoWant?: boolean
  sympathy?: number
}

/** Upper bound on links scanned per message when looking for blob mentions. */
const MAX_LINKS_PER_MESSAGE = 64

function blobIdOf(arg: unknown, method: string): string {
  const id = isPlainObject(arg) ? (arg.key ?? arg.id ?? arg.hash) : arg
  if (typeof id !== 'string' || !isBlobId(id)) throw badArgs(`${method}: expected a blob id (&….sha256)`)
  return id
}

/**
 * A refused blob (too large, wrong hash, not found, bad id…) is the caller's business: its message
 * goes back over RPC. Disk failures stay an internal error.
 */
function exposed(err: unknown): unknown {
  return err instanceof BlobsError && err.code !== 'BLOB_IO' ? Object.assign(err, { expose: true }) : err
}

async function* exposeErrors<T>(src: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* src
  } catch (err) {
    throw exposed(err)
  }
}

type Method = (...args: never[]) => unknown

/** `method` with its BlobsErrors exposed, whether thrown, rejected or raised by the stream it returns. */
function exposing<F extends Method>(method: F): F {
  return ((...args: Parameters<F>) => {
    let r: unknown
    try {
      r = method(...args)
    } catch (err) {
      throw exposed(err)
    }
    if (r instanceof Promise) return r.catch((err: unknown) => Promise.reject(exposed(err)))
    if (r !== null && typeof r === 'object' && Symbol.asyncIterator in r) return exposeErrors(r as AsyncIterable<unknown>)
    return r
  }) as F
}

function optionalNumber(o: Record<string, unknown>, k: string): number | undefined {
  const v = o[k]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw badArgs(`option ${k} must be a non-negative number`)
  return v
}

function blobLinks(content: unknown, out: Set<string>, depth = 0): void {
  if (out.size >= MAX_LINKS_PER_MESSAGE || depth > 8) return
  if (typeof content === 'string') {
    if (content.startsWith('&') && isBlobId(content)) out.add(content)
  } else if (Array.isArray(content)) {
    for (const x of content) blobLinks(x, out, depth + 1)
  } else if (content && typeof content === 'object') {
    for (const v of Object.values(content)) blobLinks(v, out, depth + 1)
  }
}

export const BLOBS_MANIFEST: Manifest = {
  blobs: {
    get: 'source',
    getSlice: 'source',
    add: 'sink',
    rm: 'async',
    ls: 'source',
    has: 'async',
    size: 'async',
    meta: 'async',
    want: 'async',
    push: 'async',
    changes: 'source',
    createWants: 'source',
  },
}

export interface Blobs extends Subsystem {
  store: BlobStore
  sync: BlobsSync
}

/** ssb-blobs 1.2 over @ssb/blobs: the RPC methods, wants/haves with every peer, auto-fetch. */
export async function createBlobs(deps: { id: string; db: Db; logger: Logger; dir: string }, config: BlobsConfig = {}): Promise<Blobs> {
  const { logger } = deps
  const max = config.max ?? DEFAULT_MAX_BLOB_BYTES
  const store = await openBlobStore({
    dir: deps.dir,
    maxSize: max,
    logger: logger.child({ scope: 'blobs' }),
    ...(config.quotaBytes ? { quotaBytes: config.quotaBytes } : {}),
  })
  const handles = new Map<RpcConnection, BlobsPeerHandle>()
  const sync = createBlobsSync(
    {
      store,
      logger: logger.child({ scope: 'blobs-sync' }),
      onMisbehave: (peerId, reason) => {
        logger.warn('peer sent a bad blob; disconnecting', { peer: peerId, reason })
        for (const [rpc, h] of handles) if (rpc.context.remoteId === peerId) { h.remove(); void rpc.close(new Error(`bad blob: ${reason}`)) }
      },
    },
    { maxSize: max, ...(config.sympathy ? { sympathy: config.sympathy } : {}) },
  )
  const offMessage =
    config.autoWant === false
      ? () => {}
      : deps.db.onMessage((kvt) => {
          if (typeof kvt.value.content !== 'object') return
          const links = new Set<string>()
          blobLinks(kvt.value.content, links)
          for (const id of links) {
            void store.has(id).then((has) => {
              if (!has) sync.want(id).catch(() => {})
            })
          }
        })

  const methods = {
    get: (args: unknown[], call: CallInfo) => {
      const o = isPlainObject(args[0]) ? args[0] : {}
      const size = optionalNumber(o, 'size')
      const m = optionalNumber(o, 'max')
      return store.get(blobIdOf(args[0], 'blobs.get'), { signal: call.signal, ...(size !== undefined ? { size } : {}), ...(m !== undefined ? { max: m } : {}) })
    },
    getSlice: (args: unknown[], call: CallInfo) => {
      const o = isPlainObject(args[0]) ? args[0] : {}
      const opts: Record<string, number> = {}
      for (const k of ['start', 'end', 'size', 'max']) {
        const v = optionalNumber(o, k)
        if (v !== undefined) opts[k] = v
      }
      return store.get(blobIdOf(args[0], 'blobs.getSlice'), { ...opts, signal: call.signal })
    },
    add: async (args: unknown[], call: CallInfo, input: AsyncIterable<unknown>) => {
      const expected = args[0] === undefined || args[0] === null ? undefined : blobIdOf(args[0], 'blobs.add')
      async function* bytes() {
        for await (const chunk of input) {
          if (chunk instanceof Uint8Array) yield chunk
          else if (typeof chunk === 'string') yield new TextEncoder().encode(chunk)
          else throw badArgs('blobs.add: expected binary chunks')
        }
      }
      const r = await store.add(bytes(), { signal: call.signal, ...(expected ? { expectedId: expected } : {}) })
      return r.id
    },
    has: (args: unknown[], call: CallInfo) => {
      const a = args[0]
      const ids = Array.isArray(a) ? a : [a]
      const checked = ids.map((x) => blobIdOf(x, 'blobs.has'))
      const handle = handles.get(call.connection)
      const answer = !call.isMaster && handle ? handle.remoteHas(checked) : Promise.all(checked.map((x) => store.has(x)))
      return answer.then((r) => (Array.isArray(a) ? r : r[0]))
    },
    size: (args: unknown[]) => store.size(blobIdOf(args[0], 'blobs.size')),
    meta: (args: unknown[]) => store.meta(blobIdOf(args[0], 'blobs.meta')),
    ls: async function* (args: unknown[], call: CallInfo) {
      const o = isPlainObject(args[0]) ? args[0] : {}
      const long = o.meta === true || o.long === true
      for await (const m of store.ls({ live: o.live === true, old: o.old !== false, signal: call.signal })) yield long ? m : m.id
    },
    changes: (_args: unknown[], call: CallInfo) => store.changes({ signal: call.signal }),
    want: (args: unknown[], call: CallInfo) => sync.want(blobIdOf(args[0], 'blobs.want'), { signal: call.signal }),
    push: async (args: unknown[]) => {
      await sync.push(blobIdOf(args[0], 'blobs.push'))
      return undefined
    },
    rm: async (args: unknown[]) => {
      await store.rm(blobIdOf(args[0], 'blobs.rm'))
      return undefined
    },
    createWants: (_args: unknown[], call: CallInfo) => {
      const handle = handles.get(call.connection)
      if (!handle) throw badArgs('blobs.createWants: not available on this connection')
      return handle.createWants({ signal: call.signal })
    },
  }
  const api: Api = { blobs: Object.fromEntries(Object.entries(methods).map(([k, f]) => [k, exposing(f)])) }

  return {
    name: 'blobs',
    store,
    sync,
    manifest: BLOBS_MANIFEST,
    api,
    anonymous: ['blobs.has', 'blobs.get', 'blobs.getSlice', 'blobs.changes', 'blobs.createWants'],
    onConnection(conn: PeerConnection) {
      // Peers on any transport (net or ws), not local clients on the unix socket.
      if (conn.transport === 'unix' || conn.id === deps.id) return
      const rpc = conn.rpc
      const handle = sync.addPeer(conn.id, {
        get: (id, o) => rpc.source(['blobs', 'get'], [{ key: id, max: o.max }], o.signal ? { signal: o.signal } : {}) as AsyncIterable<Uint8Array>,
      })
      handles.set(rpc, handle)
      void rpc.whenClosed().then(() => {
        handles.delete(rpc)
        handle.remove()
      })
      handle.receiveWants(rpc.source(['blobs', 'createWants'], [])).catch((err: Error) => {
        if (!rpc.closed) logger.debug('peer has no blobs.createWants', { peer: conn.id, reason: err.message })
      })
    },
    async close() {
      offMessage()
      sync.close()
      for (const h of handles.values()) h.remove()
      await store.close()
    },
  }
}

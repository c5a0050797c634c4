import { DbError, sliced, slicesOf } from '@ssb/db'
import { QueryError, createBacklinks, createLinks2, createQuery, normalizeOptions } from '@ssb/query'
import type { Api, CallInfo, Manifest } from '@ssb/rpc'
import { badArgs } from './args.js'
import { boundedLive } from './bounded-live.js'
import type { SubsystemFactory } from './subsystem.js'

/** ssb-query 2.4, ssb-links 3 and ssb-backlinks as ssb-server 16 (with those plugins) offers them. */
export const QUERY_MANIFEST: Manifest = {
  query: { read: 'source', explain: 'sync' },
  links2: { read: 'source' },
  backlinks: { read: 'source' },
}

/** Bad queries are the caller's mistake: their messages go back over RPC. */
function exposed(err: unknown): unknown {
  if (err instanceof QueryError) return badArgs(err.message)
  if (err instanceof DbError && err.code === 'DB_INVALID_ARGUMENT') return badArgs(err.message)
  return err
}

/** `src` with its errors exposed; still readable in slices (see @ssb/db SLICES) by the transport. */
function exposeErrors<T>(src: AsyncIterable<T>): AsyncIterable<T> {
  return sliced(async function* () {
    try {
      yield* slicesOf(src)
    } catch (err) {
      throw exposed(err)
    }
  })
}

function guard<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw exposed(err)
  }
}

type Reader = (opts: ReturnType<typeof normalizeOptions>) => AsyncIterable<unknown>

/** A `read` source: live reads get the byte-bounded lag buffer other live streams use. */
function source(read: Reader) {
  return (args: unknown[], call: CallInfo): AsyncIterable<unknown> =>
    guard(() => {
      const opts = normalizeOptions(args[0])
      const src = exposeErrors(read({ ...opts, signal: call.signal }))
      return opts.live === true || opts.old === false ? boundedLive(src, call.signal) : src
    })
}

export const querySubsystem: SubsystemFactory = {
  name: 'query',
  manifest: QUERY_MANIFEST,
  create: ({ db }) => {
    const query = createQuery(db)
    const links2 = createLinks2(db)
    const backlinks = createBacklinks(db)
    const api: Api = {
      query: {
        // Old messages go out as the JSON text they are stored as (not parsed, not re-serialised),
        // as the core message streams do; live items stay objects.
        read: source((o) => query.read({ ...o, raw: true })),
        explain: (args: unknown[]) => guard(() => query.explain(normalizeOptions(args[0]))),
      },
      links2: { read: source((o) => links2.read(o)) },
      backlinks: { read: source((o) => backlinks.read(o)) },
    }
    return { name: 'query', manifest: QUERY_MANIFEST, api }
  },
}

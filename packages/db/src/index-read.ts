import type { KVT } from '@ssb/feed'
import { charwise, charwiseOrThrow, compareKeys } from './charwise.js'
import type { Core } from './core.js'
import { DbError } from './errors.js'
import { decValueOffset, encFloat, offsetFromKeyEnd, prefixEnd, typePrefix, unesc } from './index-keys.js'
import {
  QUERY_INDEXES,
  type QueryIndexName,
  type QueryView,
  STORED_QUERY_INDEXES,
  encodedTupleOf,
  queryPrefix,
  queryView,
} from './query-index.js'
import { type Many, type ReadCtx, freshKvt, logRange, mappedSlicesAt, present, runStream, scan } from './read.js'
import { Fields, SKIP, checkPaths, checkPrefilter, passes, rawReader, recordReader } from './partial.js'
import { type IndexedMsg, RawJson, decodeRecord, indexedContent, rtsOf } from './record.js'
import { seqOffsets, typeOffsets } from './runs.js'
import type { IndexItem, IndexReadOptions } from './types.js'

const MAX_SEQ = 2 ** 52
const SYNC = Object.freeze({ sync: true as const })

interface Bounds {
  lo: string
  hi: string
}

/** A numeric window [lower, upper] containing every number between two charwise bounds; null if none. */
function numberWindow(lo: unknown, hi: unknown): [number, number] | null {
  let lower: number
  if (typeof lo === 'number') lower = lo
  else if (lo === null || typeof lo === 'boolean') lower = -Infinity
  else return null // strings, arrays and undefined sort after every number
  let upper: number
  if (typeof hi === 'number') upper = hi
  else if (hi === undefined || typeof hi === 'string' || Array.isArray(hi)) upper = Infinity
  else return null
  if (Number.isNaN(lower) || Number.isNaN(upper)) return [-Infinity, Infinity]
  return lower <= upper ? [lower, upper] : null
}

/** First-field candidates (strings) within the bounds, in charwise order. */
function stringsInRange(values: Iterable<string>, lo: unknown, hi: unknown, reverse: boolean): string[] {
  const eLo = charwise([lo])
  const eHi = charwise([hi])
  const out: Array<[string, string]> = []
  for (const v of values) {
    const e = charwise([v])!
    if (eLo !== null && compareKeys(e, eLo) < 0) continue
    if (eHi !== null && compareKeys(e, eHi) > 0) continue
    out.push([e, v])
  }
  out.sort((a, b) => compareKeys(a[0], b[0]))
  if (reverse) out.reverse()
  return out.map((x) => x[1])
}

/**
 * Keeps one offset per tuple (the largest: the message indexed last), like the reference's exact
 * indexes where a later message with an equal tuple overwrites the entry (the stored query indexes
 * do that as they are written; the feed-time index keeps every message).
 */
async function* dedupe(chunks: AsyncIterable<Array<[string, number]>>): AsyncGenerator<number[]> {
  let tuple: string | null = null
  let offset = -1
  for await (const chunk of chunks) {
    const out: number[] = []
    for (const [t, off] of chunk) {
      if (t === tuple) {
        if (off > offset) offset = off
        continue
      }
      if (tuple !== null) out.push(offset)
      tuple = t
      offset = off
    }
    if (out.length > 0) yield out
  }
  if (tuple !== null) yield [offset]
}

/** Offsets of a stored query index in tuple order: one per tuple, its value (query-index.ts). */
async function* storedOffsets(ctx: ReadCtx, name: QueryIndexName, b: Bounds, reverse: boolean): AsyncGenerator<number[]> {
  const prefix = queryPrefix(name)
  const cut = prefix.length
  for await (const entries of scan(ctx, { gte: prefix + b.lo, lt: prefix + b.hi + '\x01', reverse }, true)) {
    const out: number[] = []
    for (const [k, v] of entries) {
      const tuple = k.slice(cut)
      if (compareKeys(tuple, b.lo) >= 0 && compareKeys(tuple, b.hi) <= 0) out.push(decValueOffset(v))
    }
    if (out.length > 0) yield out
  }
}

async function* feedTimeOffsets(ctx: ReadCtx, w: [number, number], reverse: boolean): AsyncGenerator<Array<[string, number]>> {
  const range = {
    gte: w[0] === -Infinity ? 'f' : 'f' + encFloat(w[0]),
    lt: w[1] === Infinity ? prefixEnd('f') : 'f' + encFloat(w[1]) + '~',
    reverse,
  }
  for await (const entries of scan(ctx, range, false)) {
    const out: Array<[string, number]> = []
    for (const [k] of entries) out.push([k.slice(0, 17), offsetFromKeyEnd(k)])
    yield out
  }
}

async function* logOffsets(ctx: ReadCtx, w: [number, number], reverse: boolean): AsyncGenerator<KVT> {
  for await (const entry of logRange(ctx, w[0], w[1], reverse)) yield decodeRecord(entry.value)
}

async function listTypes(ctx: ReadCtx): Promise<string[]> {
  const types: string[] = []
  let from = 't'
  for (;;) {
    let key: string | undefined
    for await (const entries of scan(ctx, { gte: from, lt: 'u', limit: 1 }, false)) {
      key = entries[0]?.[0]
      break
    }
    if (key === undefined) return types
    const type = unesc(key.slice(1, key.length - 12))
    types.push(type)
    from = prefixEnd(typePrefix(type))
  }
}

/** Sequence window of one feed for a `clk` read (the exact tuple check follows). */
function seqWindow(lower: unknown[], upper: unknown[], author: string): [number, number] {
  let first = 0
  let last = MAX_SEQ
  if (lower[0] === author) {
    const lo = lower[1]
    if (typeof lo === 'number') first = Number.isNaN(lo) ? 0 : Math.max(0, Math.ceil(lo))
    else if (!(lo === null || typeof lo === 'boolean')) return [1, 0]
  }
  if (upper[0] === author) {
    const hi = upper[1]
    if (typeof hi === 'number') last = Number.isNaN(hi) ? MAX_SEQ : Math.floor(hi)
    else if (hi === null || typeof hi === 'boolean') return [1, 0]
  }
  return [first, last]
}

/**
 * Reads one of ssb-query's sorted indexes (query-index.ts) between two tuples, inclusive, in
 * index order: `gte`/`lte` hold one bound per tuple field, `null` meaning "below everything"
 * and `undefined` (or a missing element) "above everything" — flumeview-query's LO and HI.
 * Items are `{key, value, timestamp, rts}` (private messages decrypted when `private`), and
 * with `live` and `sync` a `{sync: true}` item separates the old part from the live one.
 */
export function readIndex(core: Core, o: IndexReadOptions): AsyncIterable<IndexItem> {
  if (typeof o !== 'object' || o === null) throw new DbError('DB_INVALID_ARGUMENT', 'readIndex needs an options object')
  const name = o.index
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(QUERY_INDEXES, name)) {
    throw new DbError('DB_INVALID_ARGUMENT', `unknown index: ${String(name)}`)
  }
  if (!Array.isArray(o.gte) || !Array.isArray(o.lte)) throw new DbError('DB_INVALID_ARGUMENT', 'gte and lte must be arrays')
  const width = QUERY_INDEXES[name].length
  const lower = Array.from({ length: width }, (_, i) => o.gte[i] ?? null)
  const upper = Array.from({ length: width }, (_, i) => (o.lte.length > i ? o.lte[i] : undefined))
  const b: Bounds = { lo: charwiseOrThrow(lower), hi: charwiseOrThrow(upper) }
  const reverse = o.reverse === true
  const priv = o.private !== false
  const f = { keys: true, values: true, private: priv }
  const inRange = (view: QueryView): boolean => {
    const e = encodedTupleOf(name, view)
    return e !== null && compareKeys(e, b.lo) >= 0 && compareKeys(e, b.hi) <= 0
  }
  const output = (kvt: KVT, rts: number): IndexItem => {
    // kvt is this read's own copy (decoded from the log or freshKvt), so it can take `rts`
    const out = present(core, kvt, f) as KVT & { rts: number }
    out.rts = rts
    return out
  }
  const fields = o.fields === undefined ? null : checkPaths(o.fields, 'fields')
  const where = checkPrefilter(o.where)
  const check = (kvt: KVT): IndexItem | undefined => {
    const view = queryView(kvt, indexedContent(kvt.value, core.opts.unbox, core.logger))
    return inRange(view) ? output(kvt, view.rts) : undefined
  }
  /**
   * Messages at `offsets`; `exact` when the read already stays inside the bounds (the tuple is
   * then not re-encoded and compared), or a numeric window on the receive time to check.
   */
  function fromOffsets(ctx: ReadCtx, offsets: AsyncIterable<number[]>, exact: boolean | [number, number]): AsyncGenerator<Many<IndexItem>> {
    const inWindow = (t: unknown): boolean => exact === true || (exact !== false && typeof t === 'number' && t >= exact[0] && t <= exact[1])
    const full = (kvt: KVT): IndexItem | undefined => {
      const item = exact === false ? check(kvt) : inWindow(kvt.timestamp) ? output(kvt, rtsOf(kvt)) : undefined
      return item !== undefined && passes(where, item) ? item : undefined
    }
    // Whole items for a transport: the stored JSON itself, where nothing needs checking.
    if (o.raw === true && fields === null && exact === true) {
      return mappedSlicesAt(ctx, offsets, (r: KVT | RawJson | typeof SKIP) => (r === SKIP ? undefined : r instanceof RawJson ? (r as never) : full(r)), rawReader(where))
    }
    // Only exact reads can do without the index tuple, and so without most of each record.
    const decode = exact === false ? null : recordReader(fields, where, exact === true ? [] : [['timestamp']], true)
    if (decode === null) return mappedSlicesAt(ctx, offsets, full)
    return mappedSlicesAt(
      ctx,
      offsets,
      (r: KVT | Fields | typeof SKIP) => {
        if (r === SKIP) return undefined
        if (!(r instanceof Fields)) return full(r)
        return inWindow(r.fields.timestamp) ? (r.fields as unknown as IndexItem) : undefined
      },
      decode,
    )
  }

  const oldPart = async function* (ctx: ReadCtx): AsyncGenerator<IndexItem | Many<IndexItem>> {
    if (STORED_QUERY_INDEXES.includes(name)) {
      yield* fromOffsets(ctx, storedOffsets(ctx, name, b, reverse), true)
      return
    }
    switch (name) {
      case 'log': {
        const w = numberWindow(lower[0], upper[0])
        if (w === null) return
        for await (const kvt of logOffsets(ctx, w, reverse)) {
          if (kvt.timestamp < w[0] || kvt.timestamp > w[1]) continue
          const item = output(kvt, rtsOf(kvt))
          if (passes(where, item)) yield item
        }
        return
      }
      case 'lor': {
        const w = numberWindow(lower[0], upper[0])
        if (w === null) return
        yield* fromOffsets(ctx, dedupe(feedTimeOffsets(ctx, w, reverse)), true)
        return
      }
      case 'clk': {
        const pinned = typeof lower[0] === 'string' && lower[0] === upper[0]
        const feeds = pinned ? [lower[0] as string] : stringsInRange(core.feeds.keys(), lower[0], upper[0], reverse)
        for (const feed of feeds) {
          if (!core.feeds.has(feed)) continue
          const [first, last] = seqWindow(lower, upper, feed)
          const exact = pinned && !Number.isNaN(lower[1]) && !Number.isNaN(upper[1])
          yield* fromOffsets(ctx, seqOffsets(ctx, feed, first, last, reverse), exact)
        }
        return
      }
      case 'typ': {
        const pinned = typeof lower[0] === 'string' && lower[0] === upper[0]
        const types = pinned ? [lower[0] as string] : stringsInRange(await listTypes(ctx), lower[0], upper[0], reverse)
        const w = pinned ? numberWindow(lower[1], upper[1]) : [-Infinity, Infinity] as [number, number]
        if (w === null) return
        const seek = core.state.seek
        const start = w[0] === -Infinity ? 0 : seek.floor(w[0])
        const end = Math.min(seek.ceil(w[1]), ctx.upTo + 1)
        // A pinned type with no time bounds needs no check at all.
        const exact = !pinned ? false : w[0] === -Infinity && w[1] === Infinity ? true : w
        for (const type of types) yield* fromOffsets(ctx, typeOffsets(ctx, type, start, end, reverse), exact)
        return
      }
    }
  }
  const sync = o.sync === true && o.live === true && o.old !== false
  const old = async function* (ctx: ReadCtx): AsyncGenerator<IndexItem | Many<IndexItem>> {
    yield* oldPart(ctx)
    if (sync) yield SYNC
  }
  const live = (m: IndexedMsg): IndexItem | undefined => {
    const view = queryView(m.kvt, m.content)
    if (!inRange(view)) return undefined
    const item = output(freshKvt(m), view.rts)
    return passes(where, item) ? item : undefined
  }
  const run: { signal?: AbortSignal; live?: boolean; old?: boolean } = {}
  if (o.signal !== undefined) run.signal = o.signal
  if (o.live !== undefined) run.live = o.live
  if (o.old !== undefined) run.old = o.old
  return runStream(core, run, old, live)
}

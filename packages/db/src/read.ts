import type { KVT, MsgValue } from '@ssb/feed'
import { type Core, settled } from './core.js'
import { ITERATOR_CHUNK, ITERATOR_CHUNK_BYTES, READ_SLICE_RECORDS } from './constants.js'
import { DbError, abortError } from './errors.js'
import type { Level } from './index-state.js'
import { Subscription } from './live.js'
import { type FormatOpts, type IndexedMsg, decodeKey, decodeRecord, decorateUnboxed, formatKvt, tryUnbox } from './record.js'

type Snapshot = ReturnType<Level['snapshot']>

/** A consistent read: a LevelDB snapshot plus the last log offset it covers. */
export interface ReadCtx {
  core: Core
  snapshot: Snapshot | null
  /** Offset of the last indexed record included in the snapshot (-1: none). */
  upTo: number
  epoch: number
  signal: AbortSignal | undefined
}

export interface RunOpts {
  signal?: AbortSignal | undefined
  limit?: number | undefined
  old?: boolean | undefined
  live?: boolean | undefined
}

export type LiveMap<T> = (m: IndexedMsg) => T | T[] | undefined

/**
 * Items an old part hands over at once: a whole slice of messages costs one async step
 * instead of one per message and per generator it passes through.
 */
export class Many<T> {
  constructor(readonly items: readonly T[]) {}
}

export interface Range {
  gt?: string
  gte?: string
  lt?: string
  lte?: string
  reverse?: boolean
  limit?: number
}

/** Live items get their own objects: several streams may format the same message. */
export function freshKvt(m: IndexedMsg): KVT {
  return m.bytes !== undefined ? decodeRecord(m.bytes) : structuredClone(m.kvt)
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

/**
 * The message as `onMessage` listeners see it: decoded once and deep-frozen, so several listeners
 * (replication, blobs, gossip, plugins) share one copy and none can change what another sees.
 */
export function sharedKvt(m: IndexedMsg): KVT {
  return (m.shared ??= deepFreeze(freshKvt(m)))
}

/**
 * Log records whose receive time may lie in [lower, upper] (a superset, from the seek samples,
 * which are record starts and so valid stream bounds), in log order, stopping at what is indexed:
 * records appended but not yet indexed (offset > upTo) belong to a query's live part.
 */
export async function* logRange(ctx: ReadCtx, lower: number, upper: number, reverse: boolean): AsyncGenerator<{ offset: number; value: Uint8Array }> {
  if (ctx.upTo < 0) return
  const core = ctx.core
  const start = lower === -Infinity ? 0 : core.state.seek.floor(lower)
  const end = core.state.seek.ceil(upper)
  // Every consumer decodes each record at once: no copy needed.
  const range: { gte?: number; lt?: number; reverse: boolean; borrow: true; signal?: AbortSignal } = { reverse, borrow: true }
  if (start > 0) range.gte = start
  if (end !== Infinity) range.lt = end
  if (ctx.signal) range.signal = ctx.signal
  for await (const entry of core.log.stream(range)) {
    if (entry.offset > ctx.upTo) {
      if (reverse) continue
      return
    }
    yield entry
  }
}

export function normLimit(limit: unknown): number {
  if (limit === undefined || limit === null) return Infinity
  if (typeof limit !== 'number' || Number.isNaN(limit)) throw new DbError('DB_INVALID_ARGUMENT', 'limit must be a number')
  return limit < 0 ? Infinity : Math.floor(limit)
}

/**
 * The key of a method an AsyncIterable may carry to be read a slice (an array of items) at a
 * time, the same items in the same order: a consumer that handles many items at once (query
 * stages, an RPC transport) then pays one async step per slice instead of one per item. A
 * registered symbol, so that packages above (`@ssb/query`, `@ssb/rpc`) can recognise it
 * without importing this one.
 */
export const SLICES: unique symbol = Symbol.for('ssb.slices') as never

/** An async generator of items that can also be read in slices (see SLICES). */
export type Sliced<T> = AsyncGenerator<T> & { [SLICES](): AsyncIterator<readonly T[]> }

async function* flatten<T>(slices: AsyncIterable<readonly T[]>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  for await (const slice of slices) {
    for (const one of slice) {
      if (signal?.aborted) throw abortError(signal)
      yield one
    }
  }
}

/** Items of `make()`'s slices, one at a time, or (SLICES) those slices themselves. */
export function sliced<T>(make: () => AsyncGenerator<readonly T[]>, signal?: AbortSignal): Sliced<T> {
  const items = flatten(make(), signal) as Sliced<T>
  items[SLICES] = make
  return items
}

/** The slices of `src`: its own (SLICES) when it has them, else each item as a slice of one. */
export function slicesOf<T>(src: AsyncIterable<T>): AsyncIterable<readonly T[]> {
  const own = (src as Partial<Sliced<T>>)[SLICES]
  if (typeof own === 'function') return { [Symbol.asyncIterator]: () => own.call(src) }
  return (async function* () {
    for await (const one of src) yield [one]
  })()
}

/**
 * Runs a query: the old part from a snapshot, then (live) everything indexed after it, each
 * message exactly once, `limit` counting both parts.
 */
export function runStream<T>(
  core: Core,
  o: RunOpts,
  old: ((ctx: ReadCtx) => AsyncIterable<T | Many<T>>) | null,
  liveMap: LiveMap<T> | null,
): Sliced<T> {
  return sliced(() => runSlices(core, o, old, liveMap), o.signal)
}

async function* runSlices<T>(
  core: Core,
  o: RunOpts,
  old: ((ctx: ReadCtx) => AsyncIterable<T | Many<T>>) | null,
  liveMap: LiveMap<T> | null,
): AsyncGenerator<readonly T[]> {
  const signal = o.signal
  let left = normLimit(o.limit)
  if (signal?.aborted) throw abortError(signal)
  if (left === 0) return
  await settled(core)
  const wantOld = o.old !== false && old !== null
  const live = o.live === true ? liveMap : null
  const { ctx, sub } = await openRead<T>(core, wantOld, live, signal)
  try {
    if (wantOld) {
      for await (const item of old(ctx)) {
        if (signal?.aborted) throw abortError(signal)
        const slice = item instanceof Many ? (item.items as T[]) : [item]
        if (slice.length === 0) continue
        if (slice.length >= left) {
          yield slice.length === left ? slice : slice.slice(0, left)
          return
        }
        left -= slice.length
        yield slice
      }
    }
    if (ctx.snapshot !== null) {
      await ctx.snapshot.close()
      ctx.snapshot = null
    }
    if (sub === null) return
    for (;;) {
      const r = await sub.next(signal)
      if (r.done) return
      yield [r.value]
      if (--left === 0) return
    }
  } finally {
    if (ctx.snapshot !== null) await ctx.snapshot.close()
    sub?.close()
  }
}

function openRead<T>(
  core: Core,
  wantSnapshot: boolean,
  live: LiveMap<T> | null,
  signal: AbortSignal | undefined,
): Promise<{ ctx: ReadCtx; sub: Subscription<T> | null }> {
  return new Promise((resolve, reject) => {
    core.indexer.whenCaughtUp((err) => {
      if (err !== undefined) return reject(err)
      try {
        const ctx: ReadCtx = {
          core,
          snapshot: wantSnapshot ? core.state.level.snapshot() : null,
          upTo: core.indexer.indexedUpTo,
          epoch: core.epoch,
          signal,
        }
        let sub: Subscription<T> | null = null
        if (live !== null) {
          const s = new Subscription<T>()
          const unlisten = core.indexer.listen((msgs) => {
            for (let i = 0; i < msgs.length; i++) {
              const out = live(msgs[i]!)
              if (out === undefined) continue
              s.push(Array.isArray(out) ? out : [out])
            }
          })
          core.subscriptions.add(s as Subscription<unknown>)
          s.onClose = () => {
            unlisten()
            core.subscriptions.delete(s as Subscription<unknown>)
          }
          sub = s
        }
        resolve({ ctx, sub })
      } catch (e) {
        reject(e)
      }
    })
  })
}

/**
 * Index entries in `range`, in chunks (growing from a small first chunk). The next chunk is read
 * (in LevelDB's thread) while the consumer works on the current one.
 */
export async function* scan(ctx: ReadCtx, range: Range, withValues: boolean): AsyncGenerator<Array<[string, string]>> {
  const it = ctx.core.state.level.iterator({
    ...range,
    snapshot: ctx.snapshot ?? undefined,
    keys: true,
    values: withValues,
    highWaterMarkBytes: ITERATOR_CHUNK_BYTES,
  })
  let ahead: Promise<unknown> | null = null
  try {
    let size = 16
    let entries = await it.nextv(size)
    while (entries.length > 0) {
      if (ctx.signal?.aborted) throw abortError(ctx.signal)
      size = Math.min(size * 4, ITERATOR_CHUNK)
      const next = it.nextv(size)
      ahead = next
      yield entries as Array<[string, string]>
      entries = await next
      ahead = null
    }
  } finally {
    // A read ahead nobody wants any more (limit reached, abort) ends before the iterator closes.
    if (ahead !== null) await ahead.catch(() => undefined)
    await it.close()
  }
}

/** Reads records by offset in parallel; erased ones come back null. */
export function readMany(ctx: ReadCtx, offsets: number[]): Promise<Array<KVT | null>> {
  return readWith(ctx, offsets, decodeRecord)
}

async function readWith<T>(ctx: ReadCtx, offsets: number[], decode: (b: Uint8Array) => T): Promise<Array<T | null>> {
  const core = ctx.core
  if (ctx.epoch !== core.epoch) throw new DbError('DB_ABORTED', 'the log was compacted during this read')
  core.reads++
  try {
    // Records close together come from one sequential read, decoded in place.
    return await core.log.readMany(offsets, decode)
  } finally {
    if (--core.reads === 0 && core.readsDrained.length > 0) {
      const ws = core.readsDrained.splice(0)
      for (const w of ws) w()
    }
  }
}

/**
 * Resolves index chunks to messages, keeping order, a slice of messages at a time (erased ones
 * left out), each mapped by `fn` (undefined: left out) and handed over as one Many. Slices grow
 * from a few messages, so a query with a small limit stops early even when one run lists
 * thousands.
 */
export function mappedSlicesAt<T>(ctx: ReadCtx, chunks: AsyncIterable<number[]>, fn: (kvt: KVT) => T | undefined): AsyncGenerator<Many<T>>
export function mappedSlicesAt<R, T>(
  ctx: ReadCtx,
  chunks: AsyncIterable<number[]>,
  fn: (record: R) => T | undefined,
  decode: (b: Uint8Array) => R,
): AsyncGenerator<Many<T>>
export async function* mappedSlicesAt<R, T>(
  ctx: ReadCtx,
  chunks: AsyncIterable<number[]>,
  fn: (record: R) => T | undefined,
  decode: (b: Uint8Array) => R = decodeRecord as unknown as (b: Uint8Array) => R,
): AsyncGenerator<Many<T>> {
  for await (const records of recordSlicesAt(ctx, chunks, decode)) {
    const items: T[] = []
    for (const r of records) {
      const item = fn(r)
      if (item !== undefined) items.push(item)
    }
    if (items.length > 0) yield new Many(items)
  }
}

/** As mappedSlicesAt, with only message ids (records are not parsed). */
export async function* keySlicesAt(ctx: ReadCtx, chunks: AsyncIterable<number[]>): AsyncGenerator<Many<string>> {
  for await (const keys of recordSlicesAt(ctx, chunks, decodeKey)) yield new Many(keys)
}

/** The messages at the index chunks, one at a time. */
export async function* messagesAt(ctx: ReadCtx, chunks: AsyncIterable<number[]>): AsyncGenerator<KVT> {
  for await (const slice of recordSlicesAt(ctx, chunks, decodeRecord)) yield* slice
}

async function* recordSlicesAt<T>(ctx: ReadCtx, chunks: AsyncIterable<number[]>, decode: (b: Uint8Array) => T): AsyncGenerator<T[]> {
  let slice = 8
  for await (const offs of chunks) {
    let i = 0
    while (i < offs.length) {
      const part = i === 0 && slice >= offs.length ? offs : offs.slice(i, i + slice)
      i += part.length
      slice = Math.min(slice * 2, READ_SLICE_RECORDS)
      const recs = await readWith(ctx, part, decode)
      const out: T[] = []
      for (const r of recs) if (r !== null) out.push(r)
      if (out.length > 0) yield out
    }
  }
}

/** ssb-db output form; with `private` the content is decrypted when the hook can. */
export function present(core: Core, kvt: KVT, f: FormatOpts, readKey?: string): KVT | string | MsgValue {
  if (f.private && typeof kvt.value.content === 'string') {
    const plain = tryUnbox(core.opts.unbox, kvt.value, core.logger, readKey)
    if (plain !== null) kvt = { ...kvt, value: decorateUnboxed(kvt.value, plain, readKey) }
  }
  return formatKvt(kvt, f)
}

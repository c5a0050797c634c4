import type { KVT } from '@ssb/feed'
import { isFeedId } from '@ssb/keys'
import type { Core } from './core.js'
import { DbError } from './errors.js'
import { encFloat, offsetFromKeyEnd, prefixEnd } from './index-keys.js'
import { type FloatBounds, floatBounds, inFloat, intBounds } from './ranges.js'
import { type Many, type ReadCtx, freshKvt, keySlicesAt, logRange, mappedSlicesAt, present, runStream, scan } from './read.js'
import { SKIP, checkPrefilter, passes, recordReader } from './partial.js'
import { type FormatOpts, type IndexedMsg, RawJson, decodeKey, decodeRecord, formatKvt, formatOpts, rawItem, receiveTimeOf, rtsOf } from './record.js'
import { seqOffsets, typeOffsets } from './runs.js'
import type { HistoryStreamOptions, LogStreamOptions, StreamItem, StreamOptions, TypeStreamOptions, UserStreamOptions } from './types.js'

function feedIdArg(id: unknown): string {
  if (!isFeedId(id)) throw new DbError('DB_INVALID_ARGUMENT', 'id must be a feed id')
  return id
}

async function* offsetsInKeys(chunks: AsyncIterable<Array<[string, string]>>): AsyncGenerator<number[]> {
  for await (const entries of chunks) yield entries.map(([k]) => offsetFromKeyEnd(k))
}

/** Sequence-range stream of one feed (history and user streams). */
function feedRange(
  core: Core,
  id: string,
  lo: number,
  hi: number,
  o: StreamOptions,
  f: FormatOpts,
  raw: boolean,
): AsyncIterable<StreamItem> {
  const old = async function* (ctx: ReadCtx): AsyncGenerator<Many<StreamItem>> {
    const offsets = seqOffsets(ctx, id, lo, hi, o.reverse === true)
    if (f.keys && !f.values) yield* keySlicesAt(ctx, offsets) as AsyncGenerator<Many<StreamItem>>
    else if (raw) yield* mappedSlicesAt(ctx, offsets, (r: KVT | RawJson) => (r instanceof RawJson ? r : (present(core, r, f) as StreamItem)), (b) => rawItem(b, f) ?? decodeRecord(b))
    else yield* mappedSlicesAt(ctx, offsets, (kvt) => present(core, kvt, f) as StreamItem)
  }
  const live = (m: IndexedMsg): StreamItem | undefined => {
    const v = m.kvt.value
    if (v.author !== id || v.sequence < lo || v.sequence > hi) return undefined
    return present(core, freshKvt(m), f) as StreamItem
  }
  return runStream(core, o, old, live)
}

export function createHistoryStream(core: Core, o: HistoryStreamOptions): AsyncIterable<StreamItem> {
  if (typeof o !== 'object' || o === null) throw new DbError('DB_INVALID_ARGUMENT', 'options object required')
  const id = feedIdArg(o.id)
  const seq = o.sequence || o.seq || 0
  if (typeof seq !== 'number') throw new DbError('DB_INVALID_ARGUMENT', 'seq must be a number')
  // Never decrypted: this is what replication sends to peers (protocol.md §16.11).
  const f = { ...formatOpts(o), private: false }
  const { lo, hi } = intBounds({ gte: Math.max(1, seq) })
  const { signal, limit, live, old } = o
  return feedRange(core, id, lo, hi, { signal, limit, live, old }, f, o.raw === true)
}

export function createUserStream(core: Core, o: UserStreamOptions): AsyncIterable<StreamItem> {
  if (typeof o !== 'object' || o === null) throw new DbError('DB_INVALID_ARGUMENT', 'options object required')
  const id = feedIdArg(o.id)
  const { lo, hi } = intBounds(o)
  const f = formatOpts(o)
  return feedRange(core, id, lo, hi, o, f, o.raw === true && !f.private)
}

/**
 * A record as a raw item (rawItem) when its receive time, read from the record's end, is in
 * `b`; SKIP when it is not; null when it has to be decoded to tell.
 */
function rawInRange(bytes: Uint8Array, b: FloatBounds, f: FormatOpts): RawJson | typeof SKIP | null {
  const ts = receiveTimeOf(bytes)
  if (ts === null) return null
  return inFloat(b, ts) ? rawItem(bytes, f) : SKIP
}

export function createLogStream(core: Core, o: LogStreamOptions = {}): AsyncIterable<StreamItem> {
  const b = floatBounds(o)
  const f = formatOpts(o)
  const where = checkPrefilter(o.where)
  // With a prefilter, each message is tested as {key, value, timestamp}, decrypted if asked for.
  const whole = { keys: true, values: true, private: f.private }
  const show = (kvt: KVT): StreamItem | undefined => {
    if (where === undefined) return present(core, kvt, f) as StreamItem
    const m = present(core, kvt, whole) as KVT
    return passes(where, m) ? (formatKvt(m, f) as StreamItem) : undefined
  }
  const old = async function* (ctx: ReadCtx): AsyncGenerator<StreamItem> {
    const keysOnly = f.keys && !f.values && b.lower === -Infinity && b.upper === Infinity && where === undefined
    // Records the prefilter rejects are read only as far as its fields.
    const decode = recordReader(null, where, [], false)
    // Messages (or values) as stored: their JSON is the item's.
    const raw = o.raw === true && f.values && !f.private && where === undefined
    for await (const entry of logRange(ctx, b.lower, b.upper, o.reverse === true)) {
      if (keysOnly) {
        yield decodeKey(entry.value) as StreamItem
        continue
      }
      if (raw) {
        const item = rawInRange(entry.value, b, f)
        if (item === SKIP) continue
        if (item !== null) {
          yield item
          continue
        }
      }
      const kvt = decode === null ? decodeRecord(entry.value) : decode(entry.value)
      if (kvt === SKIP) continue
      if (!inFloat(b, (kvt as KVT).timestamp)) continue
      const item = show(kvt as KVT)
      if (item !== undefined) yield item
    }
  }
  const live = (m: IndexedMsg): StreamItem | undefined => (inFloat(b, m.kvt.timestamp) ? show(freshKvt(m)) : undefined)
  return runStream(core, o, old, live)
}

function withRts(kvt: KVT): KVT {
  ;(kvt.value as unknown as Record<string, unknown>).rts = rtsOf(kvt)
  return kvt
}

function floatKeyRange(prefix: string, b: FloatBounds, reverse: boolean): { gte?: string; gt?: string; lt?: string; lte?: string; reverse: boolean } {
  const r: { gte?: string; gt?: string; lt?: string; lte?: string; reverse: boolean } = { reverse }
  if (b.lower === -Infinity) r.gte = prefix
  else if (b.lowerInclusive) r.gte = prefix + encFloat(b.lower)
  else r.gt = prefix + encFloat(b.lower) + '~'
  if (b.upper === Infinity) r.lt = prefixEnd(prefix)
  else if (b.upperInclusive) r.lte = prefix + encFloat(b.upper) + '~'
  else r.lt = prefix + encFloat(b.upper)
  return r
}

/** All messages by min(receive, claimed) time, with `value.rts` like ssb-db's feed index. */
export function createFeedStream(core: Core, o: StreamOptions = {}): AsyncIterable<StreamItem> {
  const b = floatBounds(o)
  const f = formatOpts(o)
  const old = async function* (ctx: ReadCtx): AsyncGenerator<Many<StreamItem>> {
    const offsets = offsetsInKeys(scan(ctx, floatKeyRange('f', b, o.reverse === true), false))
    if (f.keys && !f.values) yield* keySlicesAt(ctx, offsets) as AsyncGenerator<Many<StreamItem>>
    else yield* mappedSlicesAt(ctx, offsets, (kvt) => present(core, withRts(kvt), f) as StreamItem)
  }
  const live = (m: IndexedMsg): StreamItem | undefined =>
    inFloat(b, rtsOf(m.kvt)) ? (present(core, withRts(freshKvt(m)), f) as StreamItem) : undefined
  return runStream(core, o, old, live)
}

export function messagesByType(core: Core, arg: string | TypeStreamOptions): AsyncIterable<StreamItem> {
  const o: TypeStreamOptions = typeof arg === 'string' ? { type: arg } : arg
  if (typeof o !== 'object' || o === null || typeof o.type !== 'string') {
    throw new DbError('DB_INVALID_ARGUMENT', 'messagesByType needs {type: string}')
  }
  const type = o.type
  const b = floatBounds(o)
  const f = formatOpts(o)
  const old = async function* (ctx: ReadCtx): AsyncGenerator<Many<StreamItem>> {
    // Entries are in log order = receive-time order; the seek index narrows the offset range
    // and the exact bound is checked on each message.
    const seek = core.state.seek
    const start = b.lower === -Infinity ? 0 : seek.floor(b.lower)
    const end = Math.min(seek.ceil(b.upper), ctx.upTo + 1)
    const offsets = typeOffsets(ctx, type, start, end, o.reverse === true)
    if (f.keys && !f.values && b.lower === -Infinity && b.upper === Infinity) {
      yield* keySlicesAt(ctx, offsets) as AsyncGenerator<Many<StreamItem>>
      return
    }
    if (o.raw === true && f.values && !f.private) {
      const decode = (bytes: Uint8Array): KVT | RawJson | typeof SKIP => rawInRange(bytes, b, f) ?? decodeRecord(bytes)
      yield* mappedSlicesAt(ctx, offsets, (r: KVT | RawJson | typeof SKIP) => (r === SKIP ? undefined : r instanceof RawJson ? r : inFloat(b, r.timestamp) ? (present(core, r, f) as StreamItem) : undefined), decode)
      return
    }
    yield* mappedSlicesAt(ctx, offsets, (kvt) => (inFloat(b, kvt.timestamp) ? (present(core, kvt, f) as StreamItem) : undefined))
  }
  const live = (m: IndexedMsg): StreamItem | undefined =>
    m.content !== null && m.content.type === type && inFloat(b, m.kvt.timestamp)
      ? (present(core, freshKvt(m), f) as StreamItem)
      : undefined
  return runStream(core, o, old, live)
}

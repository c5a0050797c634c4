import type { KVT, MsgValue } from '@ssb/feed'
import type { MsgId } from '@ssb/keys'
import type { Core } from './core.js'
import { linkRowsOf } from './derive.js'
import { DbError } from './errors.js'
import { backlinkPrefix, backlinkRelPrefix, backlinkSourcePrefix, parseBacklinkKey, prefixEnd } from './index-keys.js'
import { isRefFeed } from './links.js'
import { type ReadCtx, freshKvt, messagesAt, readMany, runStream, scan } from './read.js'
import { type IndexedMsg, decorateUnboxed, indexedContent, tryUnbox } from './record.js'
import { seqOffsets } from './runs.js'
import type { LinkItem, LinkRow, LinksOptions } from './types.js'

// ssb-db indexes/links.js: 'feed'/'msg'/'blob' mean the sigil, a lone sigil matches any such link.
const SIGILS: Record<string, string> = { feed: '@', msg: '%', blob: '&' }
const sigilOf = (t: string | undefined): string | undefined => (t === undefined ? undefined : (SIGILS[t] ?? t))
const isSigil = (s: string): boolean => s === '@' || s === '%' || s === '&'

function testLink(actual: string, expected: string | undefined): boolean {
  if (!expected) return true
  return expected.length === 1 ? actual[0] === expected : actual === expected
}

function str(name: string, v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined
  if (typeof v !== 'string') throw new DbError('DB_INVALID_ARGUMENT', `${name} must be a string`)
  return v
}

/** One link row before formatting: source, rel, dest, message id, offset (or the message). */
type Row = [string, string, string, string, number | KVT]

/** Code point order, which is LevelDB's UTF-8 byte order (UTF-16 unit order is not). */
function cmpCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!
    const y = b.codePointAt(i)!
    if (x !== y) return x - y
    if (x > 0xffff) i++
  }
  return a.length - b.length
}

/** ssb-db's `link` index order: (source, rel, dest), then as found (sequence order). */
function bySource(a: Row, b: Row): number {
  return cmpCodePoints(a[0], b[0]) || cmpCodePoints(a[1], b[1]) || cmpCodePoints(a[2], b[2])
}

/**
 * ssb-db `links`: rows `{source, rel, dest, key[, value]}` for links found in content. With a
 * dest (and no source) rows come from the `b` index in (dest, rel, source) order. Otherwise, in
 * (source, rel, dest) order: a given source's feed is read and its rows sorted, and without a
 * source every backlink is collected and sorted — the one expensive case.
 */
export function links(core: Core, o: LinksOptions): AsyncIterable<LinkItem> {
  if (typeof o !== 'object' || o === null) throw new DbError('DB_INVALID_ARGUMENT', 'links needs an options object')
  const source = sigilOf(str('source', o.source))
  const dest = sigilOf(str('dest', o.dest))
  const rel = str('rel', o.rel)
  const meta = o.meta !== false
  const keys = o.keys !== false
  const values = o.values === true
  const priv = o.private === true
  const reverse = o.reverse === true
  if (!meta && !keys && !values) {
    throw new DbError('DB_INVALID_ARGUMENT', 'makes no sense to return stream without results: set at least one of {keys, values, meta}')
  }
  const match = (s: string, r: string, d: string): boolean =>
    (rel === undefined || rel === r) && testLink(d, dest) && testLink(s, source)

  const value = (kvt: KVT): MsgValue => {
    if (priv && typeof kvt.value.content === 'string') {
      const plain = tryUnbox(core.opts.unbox, kvt.value, core.logger)
      if (plain !== null) return decorateUnboxed(kvt.value, plain)
    }
    return kvt.value
  }
  const shape = (s: string, r: string, d: string, key: string, kvt: KVT | null): LinkItem => {
    if (!meta) {
      if (keys && values) return { key: key as MsgId, value: value(kvt!) }
      return keys ? (key as MsgId) : value(kvt!)
    }
    const row: LinkRow = { source: s, rel: r, dest: d }
    if (keys) row.key = key as LinkRow['key']
    if (values) row.value = value(kvt!)
    return row
  }
  async function* emit(ctx: ReadCtx, rows: Row[]): AsyncGenerator<LinkItem> {
    // One message often links to a dest twice (root and branch): read each record once.
    const offsets = values ? [...new Set(rows.flatMap((x) => (typeof x[4] === 'number' ? [x[4]] : [])))] : []
    const read = offsets.length > 0 ? await readMany(ctx, offsets) : []
    const byOffset = new Map(offsets.map((o, i) => [o, read[i] ?? null]))
    for (const [s, r, d, id, at] of rows) {
      const kvt = !values ? null : typeof at === 'number' ? byOffset.get(at)! : at
      if (values && kvt === null) continue
      yield shape(s, r, d, id, kvt)
    }
  }

  /** Backlink index scan: dest given (full id or sigil), or every link when collecting. */
  async function* backlinks(ctx: ReadCtx, scanReverse: boolean): AsyncGenerator<Row[]> {
    let prefix = 'b'
    if (dest !== undefined) {
      if (isSigil(dest)) prefix += dest
      else if (rel === undefined) prefix = backlinkPrefix(dest)
      else if (source !== undefined && isRefFeed(source) && source.endsWith('.ed25519')) prefix = backlinkSourcePrefix(dest, rel, source)
      else prefix = backlinkRelPrefix(dest, rel)
    }
    for await (const entries of scan(ctx, { gte: prefix, lt: prefixEnd(prefix), reverse: scanReverse }, true)) {
      const rows: Row[] = []
      for (const [k, id] of entries) {
        const [d, r, s, offset] = parseBacklinkKey(k)
        if (match(s, r, d)) rows.push([s, r, d, id, offset])
      }
      yield rows
    }
  }

  /** Link rows of one feed's messages (the by-source order is then made by sorting). */
  async function* feedRows(ctx: ReadCtx, feed: string): AsyncGenerator<Row[]> {
    for await (const kvt of messagesAt(ctx, seqOffsets(ctx, feed, 0, Number.MAX_SAFE_INTEGER, false))) {
      const content = indexedContent(kvt.value, core.opts.unbox, core.logger)
      if (content === null) continue
      const rows: Row[] = []
      for (const [r, d] of linkRowsOf({ offset: -1, kvt, content })) if (match(feed, r, d)) rows.push([feed, r, d, kvt.key, kvt])
      yield rows
    }
  }

  const old = async function* (ctx: ReadCtx): AsyncGenerator<LinkItem> {
    if (dest !== undefined && source === undefined) {
      for await (const rows of backlinks(ctx, reverse)) yield* emit(ctx, rows)
      return
    }
    if (source !== undefined && !isSigil(source)) {
      if (!isRefFeed(source) || !source.endsWith('.ed25519')) return // only feeds author messages
      if (dest !== undefined && !isSigil(dest) && rel !== undefined) {
        // exact (source, rel, dest): the backlink index has it in (source, seq) order already
        for await (const rows of backlinks(ctx, reverse)) yield* emit(ctx, rows)
        return
      }
    }
    const all: Row[] = []
    if (source !== undefined && !isSigil(source)) {
      for await (const rows of feedRows(ctx, source)) all.push(...rows)
    } else {
      for await (const rows of backlinks(ctx, false)) all.push(...rows)
    }
    all.sort(bySource)
    if (reverse) all.reverse()
    yield* emit(ctx, all)
  }
  const live = (m: IndexedMsg): LinkItem[] | undefined => {
    const author = m.kvt.value.author
    const out: LinkItem[] = []
    let kvt: KVT | null = null
    for (const [r, d] of linkRowsOf(m)) {
      if (!match(author, r, d)) continue
      if (values && kvt === null) kvt = freshKvt(m)
      out.push(shape(author, r, d, m.kvt.key, kvt))
    }
    return out.length > 0 ? out : undefined
  }
  // Like ssb-db's flumeview-level read: `{sync: true}` between the old rows and the live ones.
  const withSync = (o as { sync?: unknown }).sync === true && o.live === true && o.old !== false
  const oldThenSync = async function* (ctx: ReadCtx): AsyncGenerator<LinkItem> {
    yield* old(ctx)
    yield SYNC as unknown as LinkItem
  }
  return runStream(core, o, withSync ? oldThenSync : old, live)
}

const SYNC = Object.freeze({ sync: true as const })

import type { KVT } from '@ssb/feed'
import { type Db, isRefLink } from '@ssb/db'
import { QueryError } from './errors.js'
import { compileQuery, runStages } from './mfr.js'
import { isExact, isRange, LO, HI } from './plan.js'
import { type Msg, type Path, type RowIndex, type RowPlan, type RowSource, getField, hasField, readRows, scanRows, setField } from './rows.js'
import { type QueryReadOptions, normalizeOptions } from './query.js'

type Obj = Record<string, unknown>
const isObj = (o: unknown): o is Obj => typeof o === 'object' && o !== null

/** links2.read options: ssb-links 3 adds `unlinkedValues` (rows merged into their message). */
export interface Links2ReadOptions extends QueryReadOptions {
  unlinkedValues?: boolean
}

/** An ssb-links 3 row. `rel` is an array: the rel name plus details of the link. */
export interface LinkRow2 {
  source: string
  dest: string
  rel: unknown[]
  ts: number
}

/** ssb-links 3 `index.js`: three orders of the link rows. */
export const LINKS2_INDEXES: readonly RowIndex[] = [
  { key: 'SRD', value: ['source', 'rel', 'dest', 'ts'] },
  { key: 'DRS', value: ['dest', 'rel', 'source', 'ts'] },
  { key: 'RDS', value: ['rel', 'dest', 'source', 'ts'] },
]

/** ssb-backlinks: messages tagged with each `dest` they mention anywhere in their content. */
export const BACKLINKS_INDEXES: readonly RowIndex[] = [
  { key: 'DTS', value: [['dest'], ['timestamp']] },
  { key: 'TDT', value: [['value', 'content', 'type'], ['dest'], ['value', 'timestamp']] },
]

function noObjects(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(noObjects)
  if (typeof v === 'object' && v !== null) return JSON.stringify(v)
  return v
}

// ssb-msgs 5.2 toMsgContent / toArray(v, false)
function toMsgContent(obj: Obj): Obj {
  const value = obj.value
  if (isObj(value) && isObj(value.content) && value.content.type) return value.content
  if (isObj(obj.content) && obj.content.type) return obj.content
  return obj
}

function toArray(v: unknown): unknown[] | null {
  if (Array.isArray(v)) return v
  if (!isObj(v)) return null
  const arr: unknown[] = []
  for (let i = 0; v[i]; i++) arr.push(v[i])
  return arr.length > 0 ? arr : null
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v))

/** ssb-links 3 `links.js`: the rows of one message (ssb-msgs indexLinks over the message value). */
export function links2RowsOf(msg: KVT): LinkRow2[] {
  const value = msg.value as unknown as Obj
  const content = value.content
  const source = value.author as string
  const out: LinkRow2[] = []
  const root = toMsgContent(value)
  const each = (obj: unknown, relName: string): void => {
    const r = typeof obj === 'string' ? obj : isObj(obj) ? obj.link : undefined
    if (!isRefLink(r)) return
    const ln: Obj = typeof obj === 'string' ? { link: obj } : (obj as Obj)
    let rel: unknown[]
    if (relName === 'vote') rel = ['vote', ln.value]
    else if (relName === 'flag') rel = ['flag', ln.reason]
    else if (relName === 'mentions') {
      if (r[0] === '@') rel = ['mentions', '@' + str(ln.name || '').toLowerCase()]
      else if (r[0] === '&') rel = ['mentions', ln.filename || ln.name, ln.size]
      else rel = ['mentions']
    } else if (relName === 'about' && isObj(content) && typeof content.name === 'string') rel = ['about', content.name]
    else if (relName === 'image') rel = ['image', ln.type, ln.size]
    else if (relName === 'contact') rel = ['contact', isObj(content) ? content.following : undefined, isObj(content) ? content.blocking : undefined]
    else rel = [relName]
    out.push({ source, dest: r, rel: rel.map(noObjects) as unknown[], ts: msg.timestamp })
  }
  for (const k in root) {
    const v = root[k]
    if (!v) continue
    const arr = toArray(v)
    if (arr !== null) for (const item of arr) each(item, k)
    else each(v, k)
  }
  return out
}

const MATCH_CHANNEL = /^#[^\s#]+$/
const isChannel = (v: unknown): v is string => typeof v === 'string' && v.length < 30 && MATCH_CHANNEL.test(v)
const isRefType = (v: unknown): v is string => typeof v === 'string' && v.indexOf('?') === -1 && isRefLink(v)

/** ssb-backlinks `emit-links.js`: one row per distinct ref (or #channel) anywhere in the content. */
export function backlinkRowsOf(msg: KVT): Array<KVT & { dest: string }> {
  const links = new Set<string>()
  const walk = (obj: unknown, path: string[], depth: number): void => {
    if (obj && typeof obj === 'object') {
      if (depth > 64) return
      for (const k in obj as Obj) walk((obj as Obj)[k], [...path, k], depth + 1)
      return
    }
    let value = obj
    if (path.length === 1 && path[0] === 'channel' && typeof value === 'string' && value.length < 30) {
      value = `#${value.replace(/\s/g, '')}`
    }
    if (isRefType(value) || isChannel(value)) links.add(value as string)
  }
  walk(msg.value.content, [], 0)
  return [...links].map((dest) => ({ ...msg, dest }))
}

/**
 * Messages that can have a link row to `dest`: those the store's link index lists (links in
 * typed content), plus the ones ssb-links reads links from the message value itself — content
 * that stays encrypted, whose `author` and `previous` are then links.
 */
async function* linkingTo(db: Pick<Db, 'links' | 'get' | 'createUserStream'>, dest: string): AsyncGenerator<Msg> {
  const ids = new Set<string>()
  for await (const k of db.links({ dest, keys: true, values: false, meta: false })) ids.add(k as string)
  const sealed = async (feed: string, o: { gt?: number; lt?: number }): Promise<void> => {
    for await (const m of db.createUserStream({ id: feed, private: true, ...o })) {
      const kvt = m as KVT
      if (typeof kvt.value.content === 'string') ids.add(kvt.key)
    }
  }
  if (dest[0] === '@' && dest.endsWith('.ed25519') && dest.indexOf('?') === -1) await sealed(dest, {})
  else if (dest[0] === '%' && dest.indexOf('?') === -1) {
    const target = await db.get({ id: dest, meta: true }).catch(() => null)
    if (target !== null) {
      const v = (target as KVT).value
      await sealed(v.author, { gt: v.sequence, lt: v.sequence + 2 })
    }
  }
  for (const id of ids) {
    const m = await db.get({ id, meta: true, private: true }).catch(() => null)
    if (m !== null) yield m as Msg
  }
}

/**
 * The planners' select(): score each index by its fields from the left (`s = s² + score`, stop at
 * the first field the query does not pin) and take the best. flumeview-links scores exact 3,
 * range 2, present 1; flumeview-query (forked by backlinks) exact 2, range 1.
 */
function selectRowIndex(indexes: readonly RowIndex[], q: unknown, weights: { exact: number; range: number; present: number }): RowIndex | null {
  const score = (p: Path): number => {
    if (!hasField(p, q)) return 0
    const v = getField(p, q)
    return isExact(v) ? weights.exact : isRange(v) ? weights.range : weights.present
  }
  let best: RowIndex | null = null
  let max = 0
  for (const index of indexes) {
    let s = 0
    for (const p of index.value) {
      const x = score(p)
      if (!x) break
      s = s * s + x
    }
    if (s > max) {
      max = s
      best = index
    }
  }
  return best
}

const selectLinks2 = (q: unknown): RowIndex | null => selectRowIndex(LINKS2_INDEXES, q, { exact: 3, range: 2, present: 1 })
const selectBacklinks = (q: unknown): RowIndex | null => selectRowIndex(BACKLINKS_INDEXES, q, { exact: 2, range: 1, present: 0 })

function bounds(index: RowIndex, q: unknown, exactOnly: boolean): RowPlan {
  const lower = (v: unknown): unknown => rangeEnd(v, true)
  const upper = (v: unknown): unknown => rangeEnd(v, false)
  const bound = (v: unknown, range: (v: unknown) => unknown, sentinel: unknown): unknown => {
    if (v === null || v === undefined) return sentinel
    if (isRange(v)) return range(v)
    if (exactOnly && !isExact(v)) return sentinel
    return v
  }
  const gte = index.value.map((p) => bound(getField(p, q), lower, LO))
  const lte = index.value.map((p) => bound(getField(p, q), upper, HI))
  gte.push(LO)
  lte.push(HI)
  return { index, gte, lte }
}

function rangeEnd(v: unknown, low: boolean): unknown {
  if (v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) return v.map((x) => rangeEnd(x, low))
  const o = v as Obj
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(o, k)
  if (Array.isArray(o.$prefix)) return low ? [...o.$prefix, HI] : [...o.$prefix, LO]
  if (typeof o.$prefix === 'string') return low ? o.$prefix : o.$prefix + '\uffff'
  if (low) {
    if (has('$gt')) return o.$gt
    if (has('$gte')) return o.$gte
    if (has('$lt') || has('$lte')) return LO
  } else {
    if (has('$lt')) return o.$lt
    if (has('$lte')) return o.$lte
    if (has('$gt') || has('$gte')) return HI
  }
  if (has('$is')) {
    const t = o.$is as string
    const lo: Obj = { string: '', boolean: false, array: [], undefined: undefined, null: null }
    const hi: Obj = { string: [], boolean: true, array: undefined, undefined: undefined, null: null }
    return low ? lo[t] : hi[t]
  }
  return undefined
}

function withoutRts(msg: KVT): Obj {
  const o: Obj = { ...msg }
  delete o.rts
  return o
}

function firstFilter(query: unknown): unknown {
  if (Array.isArray(query)) {
    const first = query[0] as Obj | null | undefined
    return (first && typeof first === 'object' && first.$filter) || {}
  }
  return query || {}
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameJson(x, b[i]))
  return false
}

async function* take<T>(src: AsyncIterable<T>, n: number | undefined): AsyncGenerator<T> {
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) {
    yield* src
    return
  }
  for await (const v of src) {
    yield v
    if (--n === 0) return
  }
}

export interface RowQuery {
  read(opts?: QueryReadOptions | string): AsyncIterable<unknown>
}

/**
 * links2.read (ssb-links 3 via flumeview-links 1): link rows `{source, dest, rel, ts}` where
 * `rel` is `[name, …details]` (vote value, mention name, contact following/blocking…).
 * The first `$filter` picks SRD/DRS/RDS; a final `$sort` must name one of them exactly; with
 * no usable index the whole log's rows stream unfiltered, as in the reference.
 */
export function createLinks2(db: Pick<Db, 'readIndex' | 'createLogStream' | 'links' | 'get' | 'createUserStream'>): RowQuery {
  const msgOf = new WeakMap<object, KVT>()
  const source: RowSource<Obj> = {
    rowsOf: (m) => {
      const rows = links2RowsOf(m) as unknown as Obj[]
      for (const r of rows) msgOf.set(r, m)
      return rows
    },
    pinnedSource: (plan) => (plan.index.key === 'SRD' && typeof plan.gte[0] === 'string' && plan.gte[0] === plan.lte[0] ? plan.gte[0] : null),
    candidates: (plan) =>
      plan.index.key === 'DRS' && typeof plan.gte[0] === 'string' && plan.gte[0] === plan.lte[0] && isRefLink(plan.gte[0]) ? linkingTo(db, plan.gte[0]) : null,
  }
  return {
    read(arg) {
      const opts = normalizeOptions(arg) as Links2ReadOptions
      let query = opts.query
      const q = firstFilter(query)
      let index: RowIndex | null
      if (Array.isArray(query) && query.length > 0) {
        const last = query[query.length - 1] as Obj | null
        const sort = last && typeof last === 'object' ? last.$sort : undefined
        if (sort) {
          index = LINKS2_INDEXES.find((i) => sameJson(i.value, sort)) ?? null
          if (index === null) throw new QueryError('QUERY_INVALID', 'could not sort by:' + JSON.stringify(sort))
          query = query.slice(0, -1)
        } else index = selectLinks2(q)
      } else index = selectLinks2(q)
      const reverse = opts.reverse === true
      const signal = opts.signal
      if (index === null) {
        const scan: { reverse: boolean; live: boolean; old?: boolean; limit?: number; signal?: AbortSignal } = { reverse, live: opts.live === true }
        if (opts.old !== undefined) scan.old = opts.old
        if (opts.limit !== undefined) scan.limit = opts.limit
        if (signal) scan.signal = signal
        return scanRows(db, source, scan)
      }
      const stages = Array.isArray(query) ? compileQuery(query) : null
      const plan = bounds(index, q, false)
      const fields = index.value
      const unlinked = opts.unlinkedValues === true
      const rows = readRows(db, source, plan, {
        reverse,
        old: opts.old !== false,
        live: opts.live === true || opts.old === false,
        sync: opts.sync !== false,
        ...(signal ? { signal } : {}),
      })
      async function* shaped(): AsyncGenerator<unknown> {
        for await (const r of rows) {
          if ('sync' in r) {
            yield r
            continue
          }
          const msg = unlinked ? msgOf.get(r) : undefined
          const o: Obj = msg !== undefined ? withoutRts(msg) : {}
          for (const f of fields) setField(f, getField(f, r), o)
          yield o
        }
      }
      let out: AsyncIterable<unknown> = shaped()
      if (stages !== null) out = runStages(out, stages)
      return take(out, opts.limit)
    },
  }
}

/**
 * backlinks.read (ssb-backlinks): messages `{key, value, timestamp, dest}` for every ref or
 * #channel their content mentions, through the DTS (dest, receive time) or TDT (type, dest,
 * claimed time) index; `limit` applies before the query's stages, as in the reference.
 */
export function createBacklinks(db: Pick<Db, 'readIndex' | 'createLogStream'>): RowQuery {
  const source: RowSource<Obj> = { rowsOf: (m) => backlinkRowsOf(m) as unknown as Obj[] }
  return {
    read(arg) {
      const opts = normalizeOptions(arg)
      const q = firstFilter(opts.query)
      const index = selectBacklinks(q)
      const reverse = opts.reverse === true
      const signal = opts.signal
      if (index === null) {
        const scan: { reverse: boolean; live: boolean; limit?: number; signal?: AbortSignal } = { reverse, live: opts.live === true }
        if (opts.limit !== undefined) scan.limit = opts.limit
        if (signal) scan.signal = signal
        return scanRows(db, source, scan)
      }
      const stages = Array.isArray(opts.query) ? compileQuery(opts.query) : null
      const rows = readRows(db, source, bounds(index, q, true), {
        reverse,
        old: opts.old !== false,
        live: opts.live === true || opts.old === false,
        sync: opts.sync !== false,
        ...(signal ? { signal } : {}),
      })
      let out: AsyncIterable<unknown> = take(rows, opts.limit)
      if (stages !== null) out = runStages(out, stages)
      return out
    },
  }
}

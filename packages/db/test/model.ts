import type { KVT, MsgValue } from '@ssb/feed'

/**
 * A deliberately naive in-memory database: an array of stored messages in receive order, and
 * every query as a filter + sort over it. Used to check the real indexes.
 */
type Obj = Record<string, unknown>
export interface ModelMsg {
  kvt: KVT
  /** Content the local user can read (plain or decrypted), null if not. */
  content: Obj | null
  /** Decrypted content when the message is private and for us. */
  plain: Obj | null
}

const utf8Cmp = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))
function tupleCmp(a: Array<string | number>, b: Array<string | number>): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!
    const y = b[i]!
    const c = typeof x === 'number' ? x - (y as number) : utf8Cmp(x, y as string)
    if (c !== 0) return c
  }
  return 0
}

const LINK_RX = /^[@%&][A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=\.(sha256|ed25519)(\?.*)?$/
function isLink(s: unknown): s is string {
  if (typeof s !== 'string' || !LINK_RX.test(s)) return false
  return s[0] === '@' || s.split('?')[0]!.endsWith('.sha256')
}

/** Top-level keys; arrays element-wise; strings or {link} objects (ssb-msgs indexLinks). */
export function modelLinks(content: Obj): Array<[string, string]> {
  const out: Array<[string, string]> = []
  const seen = new Set<string>()
  const push = (rel: string, v: unknown): void => {
    const l = typeof v === 'string' ? v : v && typeof v === 'object' ? (v as Obj).link : undefined
    if (isLink(l) && !seen.has(rel + '\0' + l)) {
      seen.add(rel + '\0' + l)
      out.push([rel, l])
    }
  }
  for (const [rel, v] of Object.entries(content)) {
    if (!v) continue
    if (Array.isArray(v)) v.forEach((x) => push(rel, x))
    else push(rel, v)
  }
  return out
}

export interface Fmt {
  keys?: boolean
  values?: boolean
  private?: boolean
}

export class Model {
  msgs: ModelMsg[] = []

  value(m: ModelMsg, priv: boolean | undefined): MsgValue {
    if (priv !== true || m.plain === null) return m.kvt.value
    const v = m.kvt.value
    return { ...v, meta: { original: { content: v.content }, private: true }, content: m.plain, cyphertext: v.content, private: true } as unknown as MsgValue
  }

  fmt(m: ModelMsg, o: Fmt, extra?: (v: MsgValue) => MsgValue): unknown {
    const keys = o.keys !== false
    const values = o.values !== false
    let value = this.value(m, o.private)
    if (extra) value = extra({ ...value })
    if (keys && values) return { key: m.kvt.key, value, timestamp: m.kvt.timestamp }
    if (keys) return m.kvt.key
    return value
  }

  static range<T>(items: T[], o: { reverse?: boolean; limit?: number }): T[] {
    const xs = o.reverse ? [...items].reverse() : items
    return o.limit === undefined || o.limit < 0 ? xs : xs.slice(0, o.limit)
  }

  static inBounds(x: number, o: { gt?: number; gte?: number; lt?: number; lte?: number }): boolean {
    if (o.gt !== undefined ? !(x > o.gt) : o.gte !== undefined && !(x >= o.gte)) return false
    if (o.lt !== undefined ? !(x < o.lt) : o.lte !== undefined && !(x <= o.lte)) return false
    return true
  }

  history(o: { id: string; seq?: number; keys?: boolean; values?: boolean; limit?: number }): unknown[] {
    const from = Math.max(1, o.seq ?? 0)
    const xs = this.msgs.filter((m) => m.kvt.value.author === o.id && m.kvt.value.sequence >= from)
    return Model.range(xs, { limit: o.limit }).map((m) => this.fmt(m, { keys: o.keys, values: o.values }))
  }

  user(o: { id: string } & Bounds & Fmt & Order): unknown[] {
    const xs = this.msgs.filter((m) => m.kvt.value.author === o.id && Model.inBounds(m.kvt.value.sequence, o))
    return Model.range(xs, o).map((m) => this.fmt(m, o))
  }

  log(o: Bounds & Fmt & Order): unknown[] {
    return Model.range(this.msgs.filter((m) => Model.inBounds(m.kvt.timestamp, o)), o).map((m) => this.fmt(m, o))
  }

  static rts(m: ModelMsg): number {
    const c = m.kvt.value.timestamp
    return c && c <= m.kvt.timestamp ? c : m.kvt.timestamp
  }

  feed(o: Bounds & Fmt & Order): unknown[] {
    const xs = this.msgs
      .map((m, i) => ({ m, i, rts: Model.rts(m) }))
      .filter((x) => Model.inBounds(x.rts, o))
      .sort((a, b) => a.rts - b.rts || a.i - b.i)
    return Model.range(xs, o).map((x) => this.fmt(x.m, o, (v) => ({ ...v, rts: x.rts }) as MsgValue))
  }

  byType(o: { type: string } & Bounds & Fmt & Order): unknown[] {
    const xs = this.msgs.filter((m) => m.content !== null && m.content.type === o.type && Model.inBounds(m.kvt.timestamp, o))
    return Model.range(xs, o).map((m) => this.fmt(m, o))
  }

  links(o: { source?: string; dest?: string; rel?: string; keys?: boolean; values?: boolean; meta?: boolean; private?: boolean } & Order): unknown[] {
    const back = o.dest !== undefined && o.source === undefined
    const test = (a: string, e: string | undefined): boolean => (e === undefined ? true : e.length === 1 ? a[0] === e : a === e)
    const rows: Array<{ s: string; r: string; d: string; i: number; m: ModelMsg }> = []
    this.msgs.forEach((m, i) => {
      if (m.content === null) return
      for (const [r, d] of modelLinks(m.content)) {
        const s = m.kvt.value.author
        if ((o.rel === undefined || o.rel === r) && test(s, o.source) && test(d, o.dest)) rows.push({ s, r, d, i, m })
      }
    })
    rows.sort((x, y) => (back ? tupleCmp([x.d, x.r, x.s, x.i], [y.d, y.r, y.s, y.i]) : tupleCmp([x.s, x.r, x.d, x.i], [y.s, y.r, y.d, y.i])))
    const keys = o.keys !== false
    const values = o.values === true
    const meta = o.meta !== false
    return Model.range(rows, o).map((x) => {
      const value = this.value(x.m, o.private)
      if (!meta) return keys && values ? { key: x.m.kvt.key, value } : keys ? x.m.kvt.key : value
      const row: Obj = { source: x.s, rel: x.r, dest: x.d }
      if (keys) row.key = x.m.kvt.key
      if (values) row.value = value
      return row
    })
  }

  contacts(): Record<string, Record<string, number>> {
    const g: Record<string, Record<string, number>> = {}
    for (const m of this.msgs) {
      const c = m.content
      if (c === null || typeof c.contact !== 'string' || !/^@.{44}\.(ed25519|sha256)$/.test(c.contact)) continue
      const w = c.blocking || c.flagged ? -1 : c.following === true ? 1 : -2
      ;(g[m.kvt.value.author] ??= {})[c.contact] = w
    }
    return g
  }

  clock(): Record<string, number> {
    const c: Record<string, number> = {}
    for (const m of this.msgs) c[m.kvt.value.author] = m.kvt.value.sequence
    return c
  }
}

export interface Bounds {
  gt?: number
  gte?: number
  lt?: number
  lte?: number
}
export interface Order {
  reverse?: boolean
  limit?: number
}

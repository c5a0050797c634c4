/**
 * Reading a few fields of a stored record without parsing all of it. A record is the JSON text
 * `JSON.stringify(kvt)` wrote (no whitespace, no duplicate keys); a query that only needs, say,
 * `value.author` of ten thousand messages can skip the content and signature of each instead of
 * building every object with JSON.parse (which costs more than everything else per message).
 *
 * The result holds each wanted path with its whole value, and the objects on the way to it (with
 * only the wanted members). Where a wanted path meets a non-object (an array, a number) on the
 * way, that value is kept whole, so any getter along the path sees what it would see in the full
 * message. A string on the way (a private message's boxed content) or anything that is not the
 * JSON expected gives up (null): the caller decodes the record in full instead, which also
 * reports a damaged record properly.
 */

import { asBuffer } from './record.js'

/** Wanted paths as a tree: `true` marks a path whose whole value is wanted. */
export type FieldTree = { [key: string]: FieldTree | true }

/** Merges paths into a tree; a path that is a prefix of another wins (its whole value is read). */
export function fieldTree(paths: ReadonlyArray<readonly string[]>): FieldTree | null {
  const root: FieldTree = Object.create(null) as FieldTree
  for (const path of paths) {
    if (path.length === 0) return null // the whole record
    let node = root
    for (let i = 0; i < path.length; i++) {
      const k = path[i]!
      const cur = node[k]
      if (cur === true) break
      if (i === path.length - 1) {
        node[k] = true
        break
      }
      if (cur === undefined) node = node[k] = Object.create(null) as FieldTree
      else node = cur
    }
  }
  return root
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COLON = 0x3a
const COMMA = 0x2c
const OPEN_OBJ = 0x7b
const CLOSE_OBJ = 0x7d
const OPEN_ARR = 0x5b
const CLOSE_ARR = 0x5d

/** A FieldTree level ready for matching key bytes. */
interface Level {
  names: string[]
  keys: Buffer[]
  subs: Array<Level | null> // null: the whole value
}

function compile(tree: FieldTree): Level {
  const names = Object.keys(tree)
  return {
    names,
    keys: names.map((k) => Buffer.from(k, 'utf8')),
    subs: names.map((k) => {
      const sub = tree[k]!
      return sub === true ? null : compile(sub)
    }),
  }
}

/** Strings up to this long are scanned byte by byte, longer ones with Buffer.indexOf. */
const SHORT_STRING = 96

class Giveup extends Error {}
const GIVE_UP = new Giveup()

type Obj = Record<string, unknown>

/** One record's scan: `b` is only valid during the call (a view into a reused read buffer). */
class Scanner {
  escaped = false
  /** Position of the next backslash at or after where it was last looked for (Infinity: none). */
  private backslash = -1
  constructor(readonly b: Buffer) {}

  /** Position after the string starting at `p` (a quote); sets `escaped` if it has escapes. */
  skipString(p: number): number {
    const b = this.b
    let q = p + 1
    this.escaped = false
    // Short strings (ids, keys, types) are quicker to walk here than to search natively.
    const short = Math.min(b.length, q + SHORT_STRING)
    while (q < short) {
      const c = b[q]
      if (c === QUOTE) return q + 1
      if (c === BACKSLASH) {
        this.escaped = true
        q++
      }
      q++
    }
    if (this.backslash < q) {
      const i = b.indexOf(BACKSLASH, q)
      this.backslash = i === -1 ? Infinity : i
    }
    for (;;) {
      const e = b.indexOf(QUOTE, q)
      if (e < 0) throw GIVE_UP
      if (this.backslash > e) return e + 1
      this.escaped = true
      let back = 0
      while (b[e - 1 - back] === BACKSLASH) back++
      if ((back & 1) === 0) return e + 1
      q = e + 1
    }
  }

  /** Position after the value starting at `p`. */
  skipValue(p: number): number {
    const b = this.b
    const c = b[p]
    if (c === QUOTE) return this.skipString(p)
    if (c === OPEN_OBJ || c === OPEN_ARR) {
      let depth = 0
      const n = b.length
      while (p < n) {
        const x = b[p]!
        if (x === QUOTE) {
          p = this.skipString(p)
          continue
        }
        if (x === OPEN_OBJ || x === OPEN_ARR) depth++
        else if (x === CLOSE_OBJ || x === CLOSE_ARR) {
          if (--depth === 0) return p + 1
        }
        p++
      }
      throw GIVE_UP
    }
    // number, true, false, null: up to the next delimiter
    const n = b.length
    let q = p
    while (q < n) {
      const x = b[q]
      if (x === COMMA || x === CLOSE_OBJ || x === CLOSE_ARR) break
      q++
    }
    if (q === p || q === n) throw GIVE_UP
    return q
  }

  /** The whole value in [p, end). */
  value(p: number, end: number): unknown {
    const b = this.b
    const c = b[p]
    if (c === QUOTE) {
      if (!this.escaped) return b.toString('utf8', p + 1, end - 1)
    } else if (c !== OPEN_OBJ && c !== OPEN_ARR && c !== 0x74 && c !== 0x66 && c !== 0x6e) {
      const x = Number(b.toString('latin1', p, end))
      if (!Number.isNaN(x)) return x
    }
    return JSON.parse(b.toString('utf8', p, end))
  }

  /** Index in `level` of the key in [p, end) (a string with its quotes), or -1. */
  match(level: Level, p: number, end: number): number {
    const b = this.b
    const len = end - p - 2
    const keys = level.keys
    next: for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!
      if (k.length !== len) continue
      for (let j = 0; j < len; j++) if (k[j] !== b[p + 1 + j]) continue next
      return i
    }
    return -1
  }

  /**
   * Reads the wanted members of the object at `p` into `out`. Returns the position after the
   * object, or -1 when every wanted member was found and the caller needs no position (`stop`).
   */
  object(p: number, level: Level, out: Obj, stop: boolean): number {
    const b = this.b
    if (b[p] !== OPEN_OBJ) throw GIVE_UP
    const wanted = level.names.length
    // An empty level only asks that the value be an object: nothing to read inside.
    if (wanted === 0) return stop ? -1 : this.skipValue(p)
    p++
    if (b[p] === CLOSE_OBJ) return p + 1
    let found = 0
    for (;;) {
      if (b[p] !== QUOTE) throw GIVE_UP
      const keyEnd = this.skipString(p)
      if (b[keyEnd] !== COLON) throw GIVE_UP
      const v = keyEnd + 1
      const i = this.escaped ? level.names.indexOf(JSON.parse(b.toString('utf8', p, keyEnd)) as string) : this.match(level, p, keyEnd)
      let next: number
      if (i === -1) next = this.skipValue(v)
      else {
        found++
        const key = level.names[i]!
        const sub = level.subs[i]!
        const done = stop && found === wanted
        if (sub === null || b[v] !== OPEN_OBJ) {
          if (sub !== null && b[v] === QUOTE) throw GIVE_UP // e.g. boxed content: decode in full
          next = this.skipValue(v)
          setOwn(out, key, this.value(v, next))
        } else {
          const child: Obj = {}
          setOwn(out, key, child)
          next = this.object(v, sub, child, done)
        }
        if (done) return -1
      }
      const c = b[next]
      if (c === COMMA) p = next + 1
      else if (c === CLOSE_OBJ) return next + 1
      else throw GIVE_UP
    }
  }
}

/** `o[key] = value` as JSON.parse does it: `__proto__` becomes an own property, not the prototype. */
function setOwn(o: Obj, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true })
  else o[key] = value
}

/** Reads the fields of a FieldTree from records (see the module comment). */
export class Projection {
  private readonly level: Level
  constructor(tree: FieldTree) {
    this.level = compile(tree)
  }

  /** The wanted fields of a record, or null when it has to be decoded in full. */
  read(bytes: Uint8Array): Obj | null {
    const b = asBuffer(bytes)
    const out: Obj = {}
    try {
      const end = new Scanner(b).object(0, this.level, out, true)
      if (end !== -1 && end !== b.length) return null
    } catch (err) {
      if (err === GIVE_UP || err instanceof SyntaxError) return null
      throw err
    }
    return out
  }
}

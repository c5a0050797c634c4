import { WEIGHT_BLOCK, WEIGHT_FOLLOW, WEIGHT_UNFOLLOW } from './constants.js'
import type { ContactWeight } from './types.js'

// ssb-ref 2.16 (what ssb-db 20's links index and ssb-friends 4 use): canonical base64 of 32
// bytes; feeds may end in .ed25519 or the legacy .sha256; any `?query` is cut off first.
const B64_32 = '[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]='
const FEED_RX = new RegExp(`^@${B64_32}\\.(?:sha256|ed25519)$`)
const MSG_OR_BLOB_RX = new RegExp(`^[%&]${B64_32}\\.sha256$`)

export function isRefFeed(s: unknown): s is string {
  return typeof s === 'string' && FEED_RX.test(s)
}

export function isRefLink(s: unknown): s is string {
  if (typeof s !== 'string') return false
  const q = s.indexOf('?')
  const id = q === -1 ? s : s.slice(0, q)
  return FEED_RX.test(id) || MSG_OR_BLOB_RX.test(id)
}

type Obj = Record<string, unknown>
const isObj = (o: unknown): o is Obj => typeof o === 'object' && o !== null

// ssb-msgs 5.2 toMsgContent: duck-typed, a content wrapping a message indexes the inner content.
function toMsgContent(content: Obj): Obj {
  const value = content.value
  if (isObj(value) && isObj(value.content) && value.content.type) return value.content
  if (isObj(content.content) && content.content.type) return content.content
  return content
}

// ssb-msgs toArray(v, false): arrays, and objects with truthy keys 0,1,2… read as arrays.
function asArray(v: unknown): unknown[] | null {
  if (Array.isArray(v)) return v
  if (!isObj(v)) return null
  const arr: unknown[] = []
  for (let i = 0; v[i]; i++) arr.push(v[i])
  return arr.length > 0 ? arr : null
}

function linkOf(v: unknown): string | null {
  const r = typeof v === 'string' ? v : isObj(v) ? v.link : undefined
  return isRefLink(r) ? r : null
}

/**
 * The links ssb-db 20 indexes (ssb-msgs `indexLinks`): for every top-level key `rel` of the
 * content, its value — or each element when it is an array — that is a link string or an object
 * with a `link` property. Nested objects are not searched. Returns [rel, link] pairs.
 */
export function extractLinks(content: Obj): Array<[string, string]> {
  const root = toMsgContent(content)
  const out: Array<[string, string]> = []
  for (const rel in root) {
    const v = root[rel]
    if (!v) continue
    const arr = asArray(v)
    if (arr) {
      for (const item of arr) {
        const link = linkOf(item)
        if (link !== null) out.push([rel, link])
      }
    } else {
      const link = linkOf(v)
      if (link !== null) out.push([rel, link])
    }
  }
  return out
}

/**
 * ssb-friends 4.1.4 `contacts.js`: any message whose content has a feed in `contact` (the type
 * is not checked); blocking/flagged → -1, following === true → 1, anything else → -2.
 */
export function contactOf(content: Obj): { dest: string; value: ContactWeight } | null {
  const dest = content.contact
  if (!isRefFeed(dest)) return null
  const value: ContactWeight = content.blocking || content.flagged
    ? WEIGHT_BLOCK
    : content.following === true
      ? WEIGHT_FOLLOW
      : WEIGHT_UNFOLLOW
  return { dest, value }
}

import { assertBytes, toBase64 } from './bytes.js'
import { PUBLIC_KEY_BYTES, SHA256_BYTES } from './constants.js'
import { KeysError } from './errors.js'

export type FeedId = `@${string}.ed25519`
export type MsgId = `%${string}.sha256`
export type BlobId = `&${string}.sha256`
export type Sigil = '@' | '%' | '&'

export interface ParsedLink {
  sigil: Sigil
  /** The 32 decoded bytes (public key or sha256 digest). */
  bytes: Uint8Array
  /** The tag after the base64, without the dot: `ed25519` or `sha256`. */
  suffix: string
  /** Text after `?` (e.g. `unbox=<b64>`), only for message and blob links. */
  query?: string
}

// 32 bytes = 42 free base64 symbols, then a symbol whose 2 unused low bits are zero, then `=`
// (ssb-ref built from is-canonical-base64). protocol.md §1.1.
const B64_32 = '[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]='
const FEED_RX = new RegExp(`^@${B64_32}\\.ed25519$`)
const MSG_RX = new RegExp(`^%${B64_32}\\.sha256$`)
const BLOB_RX = new RegExp(`^&${B64_32}\\.sha256$`)
// Query text after `?`: printable ASCII, no spaces (an `unbox=` key is base64).
const QUERY_RX = /^[\x21-\x7e]+$/
/** Longest link we bother to parse: sigil + 44 + `.ed25519` + a query carrying a 32-byte key. */
export const MAX_LINK_LENGTH = 1024

export function isFeedId(s: unknown): s is FeedId {
  return typeof s === 'string' && s.length === 53 && FEED_RX.test(s)
}

export function isMsgId(s: unknown): s is MsgId {
  return typeof s === 'string' && s.length === 52 && MSG_RX.test(s)
}

export function isBlobId(s: unknown): s is BlobId {
  return typeof s === 'string' && s.length === 52 && BLOB_RX.test(s)
}

function splitQuery(s: string): [string, string | undefined] {
  const q = s.indexOf('?')
  return q === -1 ? [s, undefined] : [s.slice(0, q), s.slice(q + 1)]
}

function isQuery(query: string | undefined): boolean {
  return query === undefined || (query.length > 0 && query.length <= MAX_LINK_LENGTH && QUERY_RX.test(query))
}

/** A message id, optionally followed by `?query` (e.g. `?unbox=<key>`). */
export function isMsgLink(s: unknown): s is string {
  if (typeof s !== 'string' || s.length > MAX_LINK_LENGTH) return false
  const [id, query] = splitQuery(s)
  return isMsgId(id) && isQuery(query)
}

/** A blob id, optionally followed by `?query`. */
export function isBlobLink(s: unknown): s is string {
  if (typeof s !== 'string' || s.length > MAX_LINK_LENGTH) return false
  const [id, query] = splitQuery(s)
  return isBlobId(id) && isQuery(query)
}

/** A feed id, or a message/blob id optionally followed by `?query`. */
export function isLink(s: unknown): s is string {
  return isFeedId(s) || isMsgLink(s) || isBlobLink(s)
}

export function parseLink(s: string): ParsedLink {
  if (typeof s !== 'string') throw new KeysError('KEYS_INVALID_LINK', `expected a link string, got ${typeof s}`)
  if (s.length > MAX_LINK_LENGTH) throw new KeysError('KEYS_INVALID_LINK', `link longer than ${MAX_LINK_LENGTH}`)
  const [id, query] = splitQuery(s)
  let suffix: string
  if (isFeedId(id) && query === undefined) suffix = 'ed25519'
  else if ((isMsgId(id) || isBlobId(id)) && isQuery(query)) suffix = 'sha256'
  else throw new KeysError('KEYS_INVALID_LINK', 'not a canonical feed, message or blob link')
  const bytes = new Uint8Array(Buffer.from(id.slice(1, 45), 'base64'))
  const link: ParsedLink = { sigil: id[0] as Sigil, bytes, suffix }
  if (query !== undefined) link.query = query
  return link
}

export function feedIdToPublicKey(id: string): Uint8Array {
  if (!isFeedId(id)) throw new KeysError('KEYS_INVALID_LINK', 'expected a canonical feed id @<base64 of 32 bytes>.ed25519')
  return new Uint8Array(Buffer.from(id.slice(1, 45), 'base64'))
}

export function publicKeyToFeedId(pk: Uint8Array): FeedId {
  assertBytes(pk, PUBLIC_KEY_BYTES, 'publicKeyToFeedId(pk)')
  return `@${toBase64(pk)}.ed25519`
}

export function msgIdFromHash(digest: Uint8Array): MsgId {
  assertBytes(digest, SHA256_BYTES, 'msgIdFromHash(digest)')
  return `%${toBase64(digest)}.sha256`
}

export function blobIdFromHash(digest: Uint8Array): BlobId {
  assertBytes(digest, SHA256_BYTES, 'blobIdFromHash(digest)')
  return `&${toBase64(digest)}.sha256`
}

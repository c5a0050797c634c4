import { type BlobId, isBlobId } from '@ssb/keys'
import { MAX_WANT_MAP_ENTRIES } from './constants.js'

export interface DecodedWantMap {
  /** Negative values: wanted, |n| = hops from the one who wants it (protocol.md §10). */
  wants: [BlobId, number][]
  /** Positive values: the peer has the blob, of this size in bytes. */
  haves: [BlobId, number][]
  /** Entries skipped: not a blob id, not a safe integer, zero, or past `maxEntries`. */
  ignored: number
  /** The frame was not a JSON object at all. */
  invalid: boolean
}

/**
 * Decodes one frame of a peer's `blobs.createWants` stream. Never throws: anything that is not
 * `{ <blob id>: <non-zero safe integer> }` is counted in `ignored` and otherwise dropped.
 */
export function decodeWantMap(frame: unknown, maxEntries = MAX_WANT_MAP_ENTRIES): DecodedWantMap {
  const out: DecodedWantMap = { wants: [], haves: [], ignored: 0, invalid: false }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame) || ArrayBuffer.isView(frame)) {
    out.invalid = true
    return out
  }
  let seen = 0
  try {
    for (const key in frame) {
      if (!Object.hasOwn(frame, key)) continue
      if (++seen > maxEntries) {
        out.ignored++
        continue
      }
      const n: unknown = (frame as Record<string, unknown>)[key]
      if (!isBlobId(key) || typeof n !== 'number' || !Number.isSafeInteger(n) || n === 0) out.ignored++
      else if (n < 0) out.wants.push([key, n])
      else out.haves.push([key, n])
    }
  } catch {
    out.invalid = true // a throwing getter or proxy: not something JSON produces
  }
  return out
}

// Message sets with a share of private (private-box) messages, signed with the JavaScript
// reference's own tools (ssb-keys 8 `box`, ssb-validate 4 `create`), for benchmarks and tests
// of indexing private messages.
import { createRequire } from 'node:module'
import { FeedWriter, type MsgValue } from './feed-fixtures.js'
import type { SsbKeysJSON } from './reference.js'

const require = createRequire(import.meta.url)
const ssbKeys = require('ssb-keys') as {
  generate(curve?: string, seed?: Buffer): SsbKeysJSON
  box(content: object, recipients: string[]): string
}

/** Who the private messages are for: `us` (readable by the store's owner) or `others` (not). */
export type PrivateAudience = 'us' | 'others'

export interface PrivateFeedSet {
  all: MsgValue[]
  counts: Record<string, number>
  privateCount: number
}

/**
 * `total` messages over `feedCount` fresh feeds, round-robin; every `1 / share`-th one is a
 * private post boxed (compact JSON incl. `recps`, like ssb-db's autobox) for its author and
 * either `usId` or a stranger.
 */
export function makePrivateFeedSet(
  feedCount: number,
  total: number,
  opts: { share: number; audience: PrivateAudience; usId: string },
): PrivateFeedSet {
  const writers = Array.from({ length: feedCount }, () => new FeedWriter())
  const stranger = ssbKeys.generate()
  const every = opts.share > 0 ? Math.round(1 / opts.share) : 0
  const all: MsgValue[] = []
  let privateCount = 0
  for (let i = 0; i < total; i++) {
    const w = writers[i % feedCount]!
    const text = `post ${i} ${'·'.repeat(i % 40)}`
    if (every > 0 && i % every === every - 1) {
      const other = opts.audience === 'us' ? opts.usId : stranger.id
      const recps = [w.id, other]
      all.push(w.append(ssbKeys.box({ type: 'post', text, recps }, recps)))
      privateCount++
    } else {
      all.push(w.append({ type: 'post', text }))
    }
  }
  const counts: Record<string, number> = {}
  for (const w of writers) counts[w.id] = w.sequence
  return { all, counts, privateCount }
}

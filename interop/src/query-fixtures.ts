// A mixed message set for query/links interop tests and benches: posts (some in channels, some
// replies with `root`, some mentioning feeds), votes, abouts, contacts and a nested-content
// type, over several feeds. Claimed timestamps of different feeds collide on purpose: ssb-query's
// claimed-time indexes keep only one message per equal key, which our reads must mirror.
import { iterate, source, type SsbClient } from './client.js'
import { FeedWriter, msgId, type MsgValue } from './feed-fixtures.js'

/** Time for a freshly opened live stream to deliver its old part and reach the live one. */
const LIVE_SETTLE_MS = 300

export interface QueryFixture {
  writers: FeedWriter[]
  /** Every message in the order both servers store them. */
  all: MsgValue[]
  ids: string[]
}

export function makeQueryFixture(feedCount: number, total: number): QueryFixture {
  const writers = Array.from({ length: feedCount }, (_, i) => new FeedWriter(undefined, 1_600_000_000_000 + (i % 3) * 7))
  const all: MsgValue[] = []
  const ids: string[] = []
  const posts: string[] = []
  for (let i = 0; i < total; i++) {
    const w = writers[(i * 7 + (i >> 4)) % feedCount]!
    const other = writers[(i * 3 + 1) % feedCount]!
    const kind = i % 10
    let content: Record<string, unknown>
    if (kind <= 2 || posts.length === 0) {
      content = { type: 'post', text: `post ${i} ✓`, n: i }
      if (i % 3 === 0) content.channel = `ch${i % 5}`
      if (i % 4 === 1 && posts.length > 0) content.root = posts[(i * 13) % posts.length]
      if (i % 6 === 2) content.mentions = [{ link: other.id, name: i % 12 === 2 ? 'Bob' : 'alice' }]
    } else if (kind === 3) {
      content = { type: 'vote', vote: { link: posts[(i * 7) % posts.length], value: i % 9 === 3 ? -1 : 1, expression: 'Like' } }
    } else if (kind === 4) {
      content = { type: 'about', about: w.id, name: `name ${i % 50}` }
    } else if (kind === 5) {
      content = { type: 'contact', contact: other.id, following: i % 4 !== 1 }
    } else if (kind === 6) {
      content = { type: 'post-reply', text: `reply ${i}`, root: posts[(i * 11) % posts.length], branch: posts[(i * 5) % posts.length] }
    } else if (kind === 7) {
      content = { type: 'gathering', details: { kind: `k${i % 3}`, n: i % 17 }, channel: `ch${i % 5}` }
    } else if (kind === 8) {
      content = { type: 'post', text: `channel post ${i}`, channel: i % 20 === 8 ? 'ch1' : 'ch 2' }
    } else {
      content = { type: 'pub', address: { host: `h${i % 7}`, port: 8008 } }
    }
    const v = w.append(content)
    const id = msgId(v)
    if (content.type === 'post') posts.push(id)
    all.push(v)
    ids.push(id)
  }
  return { writers, all, ids }
}

/**
 * Opens the same live stream (`method`, e.g. `query.read`) on both servers, waits for them to
 * reach their live part, runs `addLate` (which adds a message to both), and returns the first
 * `want` items each stream gave (old items, the sync marker, the live ones).
 */
export async function readLiveBoth(
  clients: [SsbClient, SsbClient],
  method: string,
  opts: object,
  want: number,
  addLate: () => Promise<unknown>,
): Promise<[unknown[], unknown[]]> {
  const ac = new AbortController()
  const readN = async (client: SsbClient): Promise<unknown[]> => {
    const out: unknown[] = []
    for await (const x of iterate(source(client, method, opts), { signal: ac.signal })) {
      out.push(x)
      if (out.length === want) break
    }
    return out
  }
  const reads = Promise.all(clients.map(readN))
  await new Promise((r) => setTimeout(r, LIVE_SETTLE_MS))
  try {
    await addLate()
    const [a, b] = await reads
    return [a!, b!]
  } finally {
    ac.abort()
  }
}

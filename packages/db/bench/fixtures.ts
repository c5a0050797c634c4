import { createReadStream, existsSync } from 'node:fs'
import { mkdir, open, rename } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FeedState, type MsgValue, createMessage } from '@ssb/feed'
import { type Keys, generateKeys } from '@ssb/keys'

/** Generated data is cached here between runs (signing 1M messages takes a while). */
export const CACHE_DIR = join(tmpdir(), 'ssb-db-bench-v1')
export const INGEST_FEEDS = 1000
export const INGEST_PER_FEED = 100
export const BIG_FEEDS = 1000
export const BIG_PER_FEED = 1000

export function feedKeys(i: number): Keys {
  const seed = new Uint8Array(32)
  new DataView(seed.buffer).setUint32(0, i + 1)
  seed[31] = 0xdb
  return generateKeys(seed)
}

const WORDS = 'the quick brown fox jumps over a lazy dog while scuttlebutt gossip spreads across the sea'.split(' ')

/** A realistic mix: posts (some replies with root/branch), votes, contacts, abouts. */
function contentFor(feed: number, seq: number, first: string | undefined, prev: string | undefined, feeds: Keys[]): Record<string, unknown> {
  const r = (seq * 7919 + feed * 104729) % 100
  if (seq === 1) return { type: 'about', about: feeds[feed]!.id, name: `user${feed}` }
  if (r < 10) return { type: 'contact', contact: feeds[(feed * 31 + seq) % feeds.length]!.id, following: r !== 0 }
  if (r < 30 && prev) return { type: 'vote', vote: { link: prev, value: 1, expression: 'Like' } }
  const words = 8 + (r % 16)
  let text = ''
  for (let i = 0; i < words; i++) text += WORDS[(seq + i * 3 + feed) % WORDS.length] + ' '
  if (r < 60 && first && prev) return { type: 'post', text, root: first, branch: prev }
  return { type: 'post', text }
}

/** Yields `perFeed` messages of each of `nFeeds` feeds, `block` consecutive messages per feed at a time. */
export function* generate(nFeeds: number, perFeed: number, block: number): Generator<MsgValue[]> {
  const feeds = Array.from({ length: nFeeds }, (_, i) => feedKeys(i))
  const states: Array<FeedState | null> = feeds.map(() => null)
  const firsts: Array<string | undefined> = feeds.map(() => undefined)
  for (let start = 1; start <= perFeed; start += block) {
    for (let f = 0; f < nFeeds; f++) {
      const out: MsgValue[] = []
      for (let seq = start; seq < start + block && seq <= perFeed; seq++) {
        const st = states[f]!
        const content = contentFor(f, seq, firsts[f], st?.id, feeds)
        const m = createMessage(feeds[f]!, st, content, 1_600_000_000_000 + seq * 60_000 + f)
        states[f] = { id: m.key, sequence: m.value.sequence, timestamp: m.value.timestamp }
        firsts[f] ??= m.key
        out.push(m.value)
      }
      yield out
    }
  }
}

/**
 * 100,000 signed messages of 1,000 feeds, feed after feed (as replication delivers them), one
 * JSON value per line. Read back in chunks so the reader's memory stays small.
 */
export async function* ingestChunks(limit: number, chunk: number): AsyncGenerator<MsgValue[]> {
  const path = join(CACHE_DIR, `ingest-${INGEST_FEEDS}x${INGEST_PER_FEED}.ndjson`)
  if (!existsSync(path)) {
    await mkdir(CACHE_DIR, { recursive: true })
    const f = await open(path + '.tmp', 'w')
    for (const run of generate(INGEST_FEEDS, INGEST_PER_FEED, INGEST_PER_FEED)) {
      await f.write(run.map((v) => JSON.stringify(v)).join('\n') + '\n')
    }
    await f.close()
    await rename(path + '.tmp', path)
  }
  let out: MsgValue[] = []
  let n = 0
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (n++ === limit) break
    out.push(JSON.parse(line) as MsgValue)
    if (out.length === chunk) {
      yield out
      out = []
    }
  }
  if (out.length > 0) yield out
}

export const bigStoreDir = (): string => join(CACHE_DIR, `store-${BIG_FEEDS}x${BIG_PER_FEED}`)

// Bench fixtures, signed with @ssb/feed (≈30k msg/s here, vs ≈4k/s with ssb-validate; both
// produce the same bytes). Messages go round-robin over the feeds, so any prefix of the list
// holds a valid prefix of every feed: the 20k run uses the first 20k of the 100k fixture.
import { createMessage, type FeedState, type MsgValue } from '@ssb/feed'
import { generateKeys, keysToJSON, type Keys } from '@ssb/keys'
import { connectClient, type SsbServer } from '@ssb/server'

export interface BenchFixture {
  feeds: Keys[]
  messages: MsgValue[]
}

const FILLER = 'Scuttlebutt gossip replication benchmark text, roughly the length of a short post. '

export function makeFixture(feedCount: number, total: number): BenchFixture {
  const feeds = Array.from({ length: feedCount }, () => generateKeys())
  const states: Array<FeedState | null> = feeds.map(() => null)
  const messages: MsgValue[] = new Array(total)
  for (let i = 0; i < total; i++) {
    const f = i % feedCount
    const { key, value } = createMessage(feeds[f]!, states[f]!, { type: 'post', text: `#${i} ${FILLER.repeat(1 + (i % 3))}` }, 1_600_000_000_000 + i)
    states[f] = { id: key, sequence: value.sequence, timestamp: value.timestamp }
    messages[i] = value
  }
  return { feeds, messages }
}

/** The latest sequence of every feed after the first `n` messages of the fixture. */
export function expectedClock(fx: BenchFixture, n: number): Record<string, number> {
  const clock: Record<string, number> = {}
  const perFeed = Math.floor(n / fx.feeds.length)
  const extra = n % fx.feeds.length
  fx.feeds.forEach((k, i) => {
    const seq = perFeed + (i < extra ? 1 : 0)
    if (seq > 0) clock[k.id] = seq
  })
  return clock
}

/** `keys` follows every id: a run of signed contact messages starting at `keys`' first message. */
export function contactMessages(keys: Keys, ids: string[]): MsgValue[] {
  let state: FeedState | null = null
  return ids.map((contact, i) => {
    const { key, value } = createMessage(keys, state, { type: 'contact', contact, following: true }, 1_500_000_000_000 + i)
    state = { id: key, sequence: value.sequence, timestamp: value.timestamp }
    return value
  })
}

/** Wait until our server's friends graph puts every id at hop 1 (so EBT asks for them). */
export async function ourFollowsReady(server: SsbServer, keys: Keys, ids: string[], timeoutMs = 120_000): Promise<void> {
  const client = await connectClient({ kind: 'net', host: '127.0.0.1', port: server.port!, key: keys.id }, { keys })
  try {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const hops = (await client.rpc.call('friends.hops', [{}])) as Record<string, number>
      if (ids.every((id) => hops[id] === 1)) return
      if (Date.now() > deadline) throw new Error('our server did not take up its follows in time')
      await new Promise((r) => setTimeout(r, 50))
    }
  } finally {
    await client.close()
  }
}

export { generateKeys, keysToJSON }

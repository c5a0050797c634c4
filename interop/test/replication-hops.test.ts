// Who OUR server replicates from the real ssb-server 16 (hops 2, protocol.md §8): a feed we
// follow (hop 1) and a feed it follows (hop 2) arrive; a feed at hop 3 and a feed we block (though
// a friend follows it) do not, and our EBT notes tell the reference so (-1). All feeds are
// pre-signed and served by the reference, which follows every one of them.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { call, closeClient, connectClient, type SsbClient } from '../src/client.js'
import { FeedWriter } from '../src/feed-fixtures.js'
import { startOurServer, type OurServer } from '../src/our-server.js'
import { startReference, type ReferencePeer } from '../src/reference.js'
import {
  ourClock,
  referenceFollows,
  referencePeerStatus,
  referenceReplicates,
  waitForOurClock,
  writeToReference,
} from '../src/replication-helpers.js'

/** Real processes on a shared 2-core machine: more than vitest's default 30 s per test. */
const TEST_TIMEOUT_MS = 60_000

const POSTS = 50

let ref: ReferencePeer
let client: SsbClient
let ours: OurServer
const hop1 = new FeedWriter() // we follow it
const hop2 = new FeedWriter() // hop1 follows it
const hop3 = new FeedWriter() // hop2 follows it
const blocked = new FeedWriter() // hop1 follows it, we block it

function posts(w: FeedWriter, n: number): void {
  for (let i = 0; i < n; i++) w.append({ type: 'post', text: `${i} ✓` })
}

beforeAll(async () => {
  posts(hop1, POSTS)
  hop1.follow(hop2.id)
  hop1.follow(blocked.id)
  posts(hop2, POSTS)
  hop2.follow(hop3.id)
  posts(hop2, 5)
  posts(hop3, POSTS)
  posts(blocked, POSTS)
  const all = [hop1, hop2, hop3, blocked]
  ref = await startReference()
  client = await ref.client()
  await writeToReference(client, all.flatMap((w) => w.messages))
  await referenceFollows(client, all.map((w) => w.id))
  await referenceReplicates(client, all.map((w) => w.id))
  ours = await startOurServer()
  await ours.server.db.publish({ type: 'contact', contact: hop1.id, following: true })
  await ours.server.db.publish({ type: 'contact', contact: blocked.id, blocking: true })
})

afterAll(async () => {
  await ours?.stop()
  await ref?.stop()
})

test('hop 1 and hop 2 arrive; hop 3 and a blocked feed do not', { timeout: TEST_TIMEOUT_MS }, async () => {
  await ours.server.connect(ref.address)
  await waitForOurClock(ours.server, { [hop1.id]: hop1.sequence, [hop2.id]: hop2.sequence }, 20_000)

  // A live message on the hop-2 feed, sent after everything above: by the time it arrives, any
  // request for the hop-3 or blocked feed made on this connection would have been answered.
  const live = hop2.append({ type: 'post', text: 'live' })
  await writeToReference(client, [live])
  await waitForOurClock(ours.server, { [hop2.id]: live.sequence }, 20_000)

  expect(ourClock(ours.server, [hop3.id, blocked.id])).toEqual({ [hop3.id]: 0, [blocked.id]: 0 })
  expect(ours.server.db.feedState(hop3.id)).toBeNull()
  expect(ours.server.db.feedState(blocked.id)).toBeNull()

  // our graph, as an app would ask for it
  const local = await connectClient({ remote: ours.address, keys: ours.keys, manifest: ours.manifest })
  try {
    const hops = await call<Record<string, number>>(local, 'friends.hops', {})
    expect(hops[hop1.id]).toBe(1)
    expect(hops[hop2.id]).toBe(2)
    expect(hops[blocked.id]).toBe(-1)
    expect(hops[hop3.id] === undefined || hops[hop3.id]! > 2).toBe(true)
  } finally {
    await closeClient(local)
  }

  // what the reference learnt from our EBT notes: we want hop 1 and 2, we do not replicate the others
  // (ssb-ebt peerStatus: `seq` is the note the peer sent, `replicating.sent` what was sent to it)
  const peer = async (feed: string) => (await referencePeerStatus(client, feed)).peers[ours.id]
  const two = await peer(hop2.id)
  expect(two?.replicating?.tx).toBe(true)
  expect(two?.replicating?.sent).toBe(live.sequence)
  for (const feed of [hop3.id, blocked.id]) {
    const p = await peer(feed)
    expect(p?.seq).toBe(-1)
    expect(p?.replicating?.tx).toBe(false)
  }
})

// EBT replication between OUR server and the real JavaScript ssb-server 16, both dial
// directions: 2,000 pre-signed messages over 10 feeds flow reference → ours byte-identical,
// our own feed flows ours → reference, and the reference's ssb-ebt reports us as an EBT peer.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { generateKeys } from '@ssb/keys'
import { call, closeClient, connectClient, type SsbClient } from '../src/client.js'
import { makeFeedSet, msgId, type FeedSetFixture, type MsgValue } from '../src/feed-fixtures.js'
import { startOurServer, type OurServer } from '../src/our-server.js'
import { startReference, type ReferencePeer } from '../src/reference.js'
import {
  type EbtPeerStatus,
  ourFeed,
  referenceFeed,
  referenceFollows,
  referencePeerStatus,
  referenceReplicates,
  waitForOurClock,
  waitForReferenceClock,
  writeToReference,
} from '../src/replication-helpers.js'

/** Real processes on a shared 2-core machine: more than vitest's default 30 s per test. */
const TEST_TIMEOUT_MS = 60_000

const FEEDS = 10
const MESSAGES = 2_000
const OWN_POSTS = 5

let fixture: FeedSetFixture
let ref: ReferencePeer
let client: SsbClient
const ourKeys = [generateKeys(), generateKeys()]
const servers: OurServer[] = []

const text = (values: MsgValue[]) => values.map((v) => JSON.stringify(v, null, 2))

beforeAll(async () => {
  fixture = makeFeedSet(FEEDS, MESSAGES, { label: 'ebt' })
  ref = await startReference()
  client = await ref.client()
  await writeToReference(client, fixture.all)
  const follows = [...fixture.writers.map((w) => w.id), ...ourKeys.map((k) => k.id)]
  await referenceFollows(client, follows)
  await referenceReplicates(client, follows)
})

afterAll(async () => {
  for (const s of servers) await s.stop()
  await ref?.stop()
})

/** One of ours that follows the reference and the fixture feeds and has a few posts of its own. */
async function ourPeer(index: number): Promise<OurServer> {
  const ours = await startOurServer({ keys: ourKeys[index]! })
  servers.push(ours)
  await ours.server.db.publish({ type: 'contact', contact: ref.id, following: true })
  for (const w of fixture.writers) await ours.server.db.publish({ type: 'contact', contact: w.id, following: true })
  for (let i = 0; i < OWN_POSTS; i++) await ours.server.db.publish({ type: 'post', text: `ours ${index} ✓ ${i}` })
  return ours
}

async function expectSynced(ours: OurServer): Promise<void> {
  await waitForOurClock(ours.server, fixture.counts, 30_000)
  for (const w of fixture.writers) {
    const got = await ourFeed(ours.server, w.id)
    expect(got.map((v) => v.sequence)).toEqual(w.messages.map((v) => v.sequence))
    expect(text(got)).toEqual(text(w.messages))
    const keys: string[] = []
    for await (const kvt of ours.server.db.createHistoryStream({ id: w.id })) keys.push((kvt as { key: string }).key)
    expect(keys).toEqual(w.messages.map(msgId))
  }

  // our own feed reaches the reference, byte-identical
  const ownSeq = ours.server.db.feedState(ours.id)!.sequence
  await waitForReferenceClock(client, { [ours.id]: ownSeq }, 20_000)
  const mine = await ourFeed(ours.server, ours.id)
  expect(text(await referenceFeed(client, ours.id))).toEqual(text(mine))

  // EBT was used: the reference's ssb-ebt tracks us as a peer, per feed, with replication state
  for (const feed of [ours.id, fixture.writers[0]!.id]) {
    const status = await referencePeerStatus(client, feed)
    expect(Object.keys(status.peers)).toContain(ours.id)
    const rep = status.peers[ours.id]!.replicating
    expect(rep).toBeDefined()
    expect(typeof rep!.tx).toBe('boolean')
  }
  const own = await referencePeerStatus(client, ours.id)
  expect(own.seq).toBe(ownSeq)
  // ... and our EBT tracks the reference (asked through ssb-client, as an app would)
  const local = await connectClient({ remote: ours.address, keys: ours.keys, manifest: ours.manifest })
  try {
    const ourStatus = await call<EbtPeerStatus>(local, 'ebt.peerStatus', fixture.writers[0]!.id)
    expect(ourStatus.seq).toBe(fixture.counts[fixture.writers[0]!.id])
    expect(Object.keys(ourStatus.peers)).toContain(ref.id)
  } finally {
    await closeClient(local)
  }
}

describe('EBT: ssb-server 16 ↔ ours, 2,000 messages over 10 feeds', () => {
  test('A: the reference dials us (gossip.connect)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const ours = await ourPeer(0)
    await call(client, 'gossip.connect', ours.address)
    await expectSynced(ours)
    const conn = ours.server.connections().find((c) => c.id === ref.id)
    expect(conn?.isClient).toBe(false)
  })

  test('B: we dial the reference (server.connect)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const ours = await ourPeer(1)
    const conn = await ours.server.connect(ref.address)
    expect(conn.isClient).toBe(true)
    await expectSynced(ours)
  })
})

// EBT replication OUR server → the real JavaScript ssb-server 16: our own posts and 10 feeds of
// pre-signed messages stored on ours with `db.add` reach the reference byte-identical, whether the
// reference dials us or we dial it. The reference's getVectorClock and createHistoryStream say so.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { call, type SsbClient } from '../src/client.js'
import { makeFeedSet, msgId, type FeedSetFixture, type MsgValue } from '../src/feed-fixtures.js'
import { startOurServer, type OurServer } from '../src/our-server.js'
import { startReference, type ReferencePeer } from '../src/reference.js'
import {
  ourFeed,
  referenceClock,
  referenceFeed,
  referenceFollows,
  referencePeerStatus,
  referenceReplicates,
  waitForReferenceClock,
} from '../src/replication-helpers.js'

/** Real processes on a shared 2-core machine: more than vitest's default 30 s per test. */
const TEST_TIMEOUT_MS = 60_000

const FEEDS = 10
const MESSAGES = 2_000
const OWN_POSTS = 20

let fixture: FeedSetFixture
let ours: OurServer
let ownSeq: number

const text = (values: MsgValue[]) => values.map((v) => JSON.stringify(v, null, 2))

beforeAll(async () => {
  fixture = makeFeedSet(FEEDS, MESSAGES, { label: 'to-ref' })
  ours = await startOurServer()
  for (const msg of fixture.all) await ours.server.db.add(msg)
  for (let i = 0; i < OWN_POSTS; i++) await ours.server.db.publish({ type: 'post', text: `from ours ✓ ${i}` })
  for (const w of fixture.writers) await ours.server.db.publish({ type: 'contact', contact: w.id, following: true })
  ownSeq = ours.server.db.feedState(ours.id)!.sequence
})

afterAll(async () => {
  await ours?.stop()
})

/** A reference that follows ours and the fixture feeds; ours follows it back. */
async function followingReference(): Promise<{ ref: ReferencePeer; client: SsbClient }> {
  const ref = await startReference()
  const client = await ref.client()
  const follows = [ours.id, ...fixture.writers.map((w) => w.id)]
  await referenceFollows(client, follows)
  await referenceReplicates(client, follows)
  await ours.server.db.publish({ type: 'contact', contact: ref.id, following: true })
  ownSeq = ours.server.db.feedState(ours.id)!.sequence
  return { ref, client }
}

async function expectReceived(client: SsbClient, refId: string): Promise<void> {
  const expected = { ...fixture.counts, [ours.id]: ownSeq }
  await waitForReferenceClock(client, expected, 40_000)
  const clock = await referenceClock(client)
  for (const [id, seq] of Object.entries(expected)) expect(clock[id]).toBe(seq)

  for (const w of [fixture.writers[0]!, fixture.writers[FEEDS - 1]!]) {
    expect(text(await referenceFeed(client, w.id))).toEqual(text(w.messages))
  }
  const mine = await ourFeed(ours.server, ours.id)
  const theirs = await referenceFeed(client, ours.id)
  expect(text(theirs)).toEqual(text(mine))
  expect(theirs.map(msgId)).toEqual(mine.map(msgId))
  // ssb-ebt on the reference tracked us while receiving
  const status = await referencePeerStatus(client, ours.id)
  expect(status.peers[ours.id]?.replicating).toBeDefined()
  expect(status.seq).toBe(ownSeq)
  expect(refId).not.toBe(ours.id)
}

describe('EBT: ours → ssb-server 16, 2,000 added messages + our own feed', () => {
  test('A: the reference dials us', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { ref, client } = await followingReference()
    try {
      await call(client, 'gossip.connect', ours.address)
      await expectReceived(client, ref.id)
    } finally {
      await ref.stop()
    }
  })

  test('B: we dial the reference, and a message published while connected follows live', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { ref, client } = await followingReference()
    try {
      await ours.server.connect(ref.address)
      await expectReceived(client, ref.id)
      const live = await ours.server.db.publish({ type: 'post', text: 'live ✓' })
      ownSeq = live.value.sequence
      await waitForReferenceClock(client, { [ours.id]: ownSeq }, 10_000)
      const got = await call<{ key: string; value: MsgValue }>(client, 'get', { id: live.key, meta: true })
      expect(JSON.stringify(got.value, null, 2)).toBe(JSON.stringify(live.value, null, 2))
    } finally {
      await ref.stop()
    }
  })
})

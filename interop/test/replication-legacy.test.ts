// Legacy replication (createHistoryStream, protocol.md §8) with a JavaScript peer that has NO
// EBT: ssb-server 16's own plugin stack minus ssb-ebt (src/legacy-reference.cjs), so it runs
// ssb-replicate's legacy.js on every connection. Both directions sync — its feeds reach ours and
// ours reach it, old and live — whether it dials us or we dial it (our ebt.replicate call fails
// and we fall back).
import { afterEach, describe, expect, test } from 'vitest'
import { call, type SsbClient } from '../src/client.js'
import { makeFeedSet, type FeedSetFixture, type MsgValue } from '../src/feed-fixtures.js'
import { startOurServer, type OurServer } from '../src/our-server.js'
import { startReferenceNode, type ReferenceNode } from '../src/reference-node.js'
import {
  ourFeed,
  referenceFeed,
  referenceFollows,
  referenceReplicates,
  waitForOurClock,
  waitForReferenceClock,
  writeToReference,
} from '../src/replication-helpers.js'

/** Real processes on a shared 2-core machine: more than vitest's default 30 s per test. */
const TEST_TIMEOUT_MS = 60_000

const FEEDS = 10
const MESSAGES = 500

const text = (values: MsgValue[]) => values.map((v) => JSON.stringify(v, null, 2))
const cleanup: Array<() => Promise<void>> = []

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

interface Pair {
  legacy: ReferenceNode
  client: SsbClient
  ours: OurServer
  /** Stored on the legacy peer, to reach ours. */
  theirs: FeedSetFixture
  /** Stored on ours, to reach the legacy peer. */
  mine: FeedSetFixture
}

async function pair(label: string): Promise<Pair> {
  const theirs = makeFeedSet(FEEDS, MESSAGES, { label: `${label}-js` })
  const mine = makeFeedSet(FEEDS, MESSAGES, { label: `${label}-ours` })
  const legacy = await startReferenceNode({ legacyOnly: true })
  cleanup.push(() => legacy.stop())
  const ours = await startOurServer()
  cleanup.push(() => ours.stop())
  const client = await legacy.client()
  expect(client['ebt']).toBeUndefined() // really no EBT on that peer

  await writeToReference(client, theirs.all)
  await call(client, 'publish', { type: 'post', text: 'from the legacy peer ✓' })
  const follows = [ours.id, ...theirs.writers.map((w) => w.id), ...mine.writers.map((w) => w.id)]
  await referenceFollows(client, follows)
  await referenceReplicates(client, follows)

  for (const msg of mine.all) await ours.server.db.add(msg)
  await ours.server.db.publish({ type: 'post', text: 'from ours ✓' })
  for (const id of [legacy.id, ...theirs.writers.map((w) => w.id), ...mine.writers.map((w) => w.id)]) {
    await ours.server.db.publish({ type: 'contact', contact: id, following: true })
  }
  return { legacy, client, ours, theirs, mine }
}

async function expectBothWays(p: Pair): Promise<void> {
  const { legacy, client, ours, theirs, mine } = p
  const legacySeq = (await call<number>(client, 'latestSequence', legacy.id))
  await waitForOurClock(ours.server, { ...theirs.counts, [legacy.id]: legacySeq }, 30_000)
  const ownSeq = ours.server.db.feedState(ours.id)!.sequence
  await waitForReferenceClock(client, { ...mine.counts, [ours.id]: ownSeq }, 30_000)

  for (const w of theirs.writers) expect(text(await ourFeed(ours.server, w.id))).toEqual(text(w.messages))
  expect(text(await ourFeed(ours.server, legacy.id))).toEqual(text(await referenceFeed(client, legacy.id)))
  for (const w of [mine.writers[0]!, mine.writers[FEEDS - 1]!]) expect(text(await referenceFeed(client, w.id))).toEqual(text(w.messages))
  expect(text(await referenceFeed(client, ours.id))).toEqual(text(await ourFeed(ours.server, ours.id)))

  // live, both ways, on the still-open history streams
  const mineLive = await ours.server.db.publish({ type: 'post', text: 'live from ours' })
  await waitForReferenceClock(client, { [ours.id]: mineLive.value.sequence }, 10_000)
  const theirLive = await call<{ value: MsgValue }>(client, 'publish', { type: 'post', text: 'live from js' })
  await waitForOurClock(ours.server, { [legacy.id]: theirLive.value.sequence }, 10_000)
  expect(JSON.stringify((await ourFeed(ours.server, legacy.id)).at(-1), null, 2)).toBe(JSON.stringify(theirLive.value, null, 2))
}

describe('legacy-only JS peer (ssb-server 16 without ssb-ebt) ↔ ours', () => {
  test('A: it dials us', { timeout: TEST_TIMEOUT_MS }, async () => {
    const p = await pair('a')
    await call(p.client, 'gossip.connect', p.ours.address)
    await expectBothWays(p)
  })

  test('B: we dial it (ebt.replicate fails, we fall back to createHistoryStream)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const p = await pair('b')
    await p.ours.server.connect(p.legacy.address)
    await expectBothWays(p)
  })
})

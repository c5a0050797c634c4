// Fault: the JavaScript ssb-server 16 we replicate from is SIGKILLed mid-sync, restarted on the
// same dir and port, and we reconnect: replication resumes where it stopped and completes, with
// every sequence 1..N of every feed stored exactly once on ours (nothing lost, nothing twice).
import { afterAll, beforeAll, expect, test } from 'vitest'
import { makeFeedSet, msgId, type FeedSetFixture } from '../src/feed-fixtures.js'
import { startOurServer, type OurServer } from '../src/our-server.js'
import { startReferenceNode, type ReferenceNode } from '../src/reference-node.js'
import { ourFeed, referenceFollows, referenceReplicates, waitForOurClock, writeToReference } from '../src/replication-helpers.js'
import { pollUntil } from '../src/wait.js'

/** Real processes on a shared 2-core machine: more than vitest's default 30 s per test. */
const TEST_TIMEOUT_MS = 60_000

const FEEDS = 10
const MESSAGES = 4_000
/** Kill the reference once this many fixture messages have reached us. */
const KILL_AFTER = 400

let fixture: FeedSetFixture
let node: ReferenceNode
let ours: OurServer

beforeAll(async () => {
  fixture = makeFeedSet(FEEDS, MESSAGES, { label: 'kill' })
  node = await startReferenceNode()
  const client = await node.client()
  await writeToReference(client, fixture.all, 40_000)
  const follows = fixture.writers.map((w) => w.id)
  await referenceFollows(client, follows)
  await referenceReplicates(client, follows)
  ours = await startOurServer()
  for (const id of [node.id, ...follows]) await ours.server.db.publish({ type: 'contact', contact: id, following: true })
})

afterAll(async () => {
  await ours?.stop()
  await node?.stop()
})

test('SIGKILL the reference mid-sync, restart it, reconnect: sync completes, nothing lost or duplicated', { timeout: TEST_TIMEOUT_MS }, async () => {
  const feeds = new Set(fixture.writers.map((w) => w.id))
  let received = 0
  let atKill = -1
  let killed!: Promise<void>
  const killedPromise = new Promise<void>((resolve) => {
    const off = ours.server.db.onMessage((kvt) => {
      if (!feeds.has(kvt.value.author)) return
      received++
      if (received === KILL_AFTER) {
        off()
        atKill = received
        killed = node.kill('SIGKILL') // its own PID only
        resolve()
      }
    })
  })
  await ours.server.connect(node.address)
  await killedPromise
  await killed
  // our side notices the dead connection
  await pollUntil(() => !ours.server.connections().some((c) => c.id === node.id), { what: 'our connection to the killed reference to close', timeoutMs: 10_000 })
  const before = Object.values(fixture.counts).reduce((a, b) => a + b, 0)
  const haveAtDrop = fixture.writers.reduce((n, w) => n + (ours.server.db.feedState(w.id)?.sequence ?? 0), 0)
  expect(atKill).toBe(KILL_AFTER)
  expect(haveAtDrop).toBeLessThan(before) // really mid-sync

  await node.restart()
  await ours.server.connect(node.address)
  // the fixture feeds, and the reference's own feed (its 10 contact messages)
  await waitForOurClock(ours.server, { ...fixture.counts, [node.id]: FEEDS }, 40_000)

  for (const w of fixture.writers) {
    const got = await ourFeed(ours.server, w.id)
    expect(got.map((v) => v.sequence)).toEqual(Array.from({ length: w.sequence }, (_, i) => i + 1))
    expect(got.map(msgId)).toEqual(w.messages.map(msgId))
  }
  expect((await ourFeed(ours.server, node.id)).map((v) => v.sequence)).toEqual(Array.from({ length: FEEDS }, (_, i) => i + 1))
  // the log holds each message once: fixture + the reference's feed + our own, no more
  let logged = 0
  for await (const _ of ours.server.db.createLogStream({ keys: true, values: false })) logged++
  expect(logged).toBe(MESSAGES + FEEDS + ours.server.db.feedState(ours.id)!.sequence)
})

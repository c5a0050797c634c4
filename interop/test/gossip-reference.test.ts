// gossip with the real ssb-server 16 (ssb-gossip 1.1): gossip.ping both ways (pull-ping
// timestamps), each side's peer table after the other dials, and a pub message from the
// reference's store becoming a peer on ours once replicated.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { call, type SsbClient } from '../src/client.js'
import { startOurServer, type OurServer } from '../src/our-server.js'
import { freePort, startReference, type ReferencePeer } from '../src/reference.js'
import { referenceFollows, referenceReplicates } from '../src/replication-helpers.js'
import { pollUntil } from '../src/wait.js'

const TEST_TIMEOUT_MS = 60_000

let ref: ReferencePeer
let client: SsbClient
let ours: OurServer

interface PeerRecord {
  source: string
  host: string
  port: number
  address: string
  state?: string
  ping?: { rtt: { count: number; mean: number } }
}
interface GossipSubsystem {
  table: { get(key: string): PeerRecord | undefined }
  api: { gossip: Record<string, (args: unknown[], call: unknown) => unknown> }
}
const gossip = () => ours.server.subsystem('gossip') as unknown as GossipSubsystem

beforeAll(async () => {
  ref = await startReference()
  client = await ref.client()
  ours = await startOurServer({ gossip: { connections: 0 } })
  // Follow each other before any connection: ssb-ebt 7 only opens sessions for feeds it replicates.
  await ours.server.db.publish({ type: 'contact', contact: ref.id, following: true })
  await referenceFollows(client, [ours.id])
  await referenceReplicates(client, [ours.id])
}, TEST_TIMEOUT_MS)

afterAll(async () => {
  await ours?.stop()
  await ref?.stop()
})

test('we dial the reference: our gossip.ping is answered (an RTT sample), it lists us as a peer that connected', async () => {
  const g = gossip()
  const peer = (await g.api.gossip.connect!([ref.address], { remoteId: ours.id, isMaster: true, signal: new AbortController().signal })) as { state: string }
  expect(peer.state).toBe('connected')
  await pollUntil(() => (g.table.get(ref.id)?.ping?.rtt.count ?? 0) >= 1, { what: 'a ping answer from ssb-server 16' })
  const rtt = g.table.get(ref.id)!.ping!.rtt
  expect(rtt.mean).toBeGreaterThanOrEqual(0)
  expect(rtt.mean).toBeLessThan(60_000)
  await call(client, 'gossip.disconnect', { key: ours.id }).catch(() => {})
  for (const c of ours.server.connections()) await c.rpc.close().catch(() => {})
}, TEST_TIMEOUT_MS)

test('the reference dials us with gossip.connect and pings us; our table and status show it', async () => {
  await call(client, 'gossip.connect', ours.address)
  await pollUntil(
    async () => {
      const peers = await call<Array<{ key: string; state?: string; ping?: { rtt?: { count?: number } } }>>(client, 'gossip.peers')
      const us = peers.find((p) => p.key === ours.id)
      return us?.state === 'connected' && (us.ping?.rtt?.count ?? 0) >= 1
    },
    { what: 'ssb-server 16 to measure a ping round trip with us' },
  )
  const inbound = ours.server.connections().find((c) => c.id === ref.id)
  expect(inbound?.isClient).toBe(false)
}, TEST_TIMEOUT_MS)

test('a pub message the reference publishes reaches our store and our peer table', async () => {
  // a loopback address with nobody listening: the reference's own gossip may dial it, harmlessly
  const key = 'P2Wm9Yb2xBI0Gz7xFvCC0B4+Fz3r0PmjJD1/eVXrbu4='
  const port = await freePort()
  await call(client, 'publish', { type: 'pub', address: { host: '127.0.0.9', port, key: `@${key}.ed25519` } })
  if (!ours.server.connections().some((c) => c.id === ref.id)) await ours.server.connect(ref.address)
  await pollUntil(() => gossip().table.get(`@${key}.ed25519`), { what: 'the announced pub in our table', timeoutMs: 30_000, describe: () => `reference feed at ${ours.server.db.feedState(ref.id)?.sequence ?? 0}` })
  expect(gossip().table.get(`@${key}.ed25519`)).toMatchObject({ source: 'pub', host: '127.0.0.9', port, address: `net:127.0.0.9:${port}~shs:${key}` })
}, TEST_TIMEOUT_MS)

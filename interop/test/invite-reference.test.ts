// Invites between OUR server and the real JavaScript ssb-server 16 (ssb-invite 2.1.8), both ways:
// (a) the reference creates a code and ours accepts it; (b) ours creates one and the reference
// accepts it through ssb-client's invite.accept (it dials us with the seed's guest key). After
// either, both follow each other and new messages replicate both ways. Then the hostile cases.
import { connectClient as connectOurClient, type SsbClient as OurClient } from '@ssb/server'
import { generateKeys } from '@ssb/keys'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { call, closeClient, collect, connectClient, source, type SsbClient } from '../src/client.js'
import { startOurServer, type OurServer } from '../src/our-server.js'
import { startReference, type ReferencePeer } from '../src/reference.js'
import { referenceClock, waitForOurClock, waitForReferenceClock } from '../src/replication-helpers.js'

/** Real processes on a shared 2-core machine. */
const TEST_TIMEOUT_MS = 60_000

interface Kvt {
  key: string
  value: { author: string; sequence: number; content: Record<string, unknown> }
}

let ours: OurServer
let ownerClient: OurClient
let ref: ReferencePeer
let refClient: SsbClient

beforeAll(async () => {
  // Loopback addresses are private: both sides need allowPrivate to hand out codes for 127.0.0.1.
  ;[ours, ref] = await Promise.all([startOurServer({ allowPrivate: true }), startReference({ config: { allowPrivate: true } })])
  ownerClient = await connectOurClient(
    { kind: 'net', host: '127.0.0.1', port: ours.port, key: ours.id },
    { keys: ours.server.keys, manifest: ours.server.manifest() },
  )
  refClient = await ref.client()
}, TEST_TIMEOUT_MS)

afterAll(async () => {
  await ownerClient?.close().catch(() => {})
  await ref?.stop()
  await ours?.stop()
})

async function referenceFeed(id: string): Promise<Kvt[]> {
  return collect<Kvt>(source(refClient, 'createHistoryStream', { id }))
}

async function ourFeed(id: string): Promise<Kvt[]> {
  const out: Kvt[] = []
  for await (const m of ours.server.db.createHistoryStream({ id })) out.push(m as Kvt)
  return out
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a rejection')
}

describe('invites with ssb-server 16', () => {
  test('(a) the reference creates, ours accepts: both follow and replicate', { timeout: TEST_TIMEOUT_MS }, async () => {
    const code = await call<string>(refClient, 'invite.create', { uses: 1, note: 'from the reference' })
    expect(code).toMatch(new RegExp(`^127\\.0\\.0\\.1:${ref.port}:@.{44}\\.ed25519~[A-Za-z0-9+/]{43}=$`))

    const accepted = (await ownerClient.rpc.call('invite.accept', [code])) as Kvt[]
    expect(accepted.map((m) => m.value.content)).toEqual([
      { type: 'contact', following: true, autofollow: true, contact: ref.id },
      { type: 'pub', address: { host: '127.0.0.1', port: ref.port, key: ref.id } },
    ])
    // ssb-invite on the reference followed our real id, with the note.
    const refOwn = await referenceFeed(ref.id)
    expect(refOwn.map((m) => m.value.content)).toContainEqual({ type: 'contact', contact: ours.id, following: true, pub: true, note: 'from the reference' })

    // ours dialled the reference after accepting: new messages flow both ways.
    const post = await call<Kvt>(refClient, 'publish', { type: 'post', text: 'welcome from the pub' })
    await waitForOurClock(ours.server, { [ref.id]: post.value.sequence }, 30_000)
    const mine = await ours.server.db.publish({ type: 'post', text: 'hello pub' })
    await waitForReferenceClock(refClient, { [ours.id]: mine.value.sequence }, 30_000)
    expect((await referenceFeed(ours.id)).map((m) => m.key)).toEqual((await ourFeed(ours.id)).map((m) => m.key))
    expect((await ourFeed(ref.id)).map((m) => m.key)).toEqual(refOwn.map((m) => m.key).concat(post.key))

    // The code had one use: a second accept is refused by the reference.
    const again = await rejection(ownerClient.rpc.call('invite.accept', [code]))
    expect(again.message).toMatch(/invite not accepted|could not connect/)
  })

  test('(b) ours creates, the reference accepts via ssb-client: both follow and replicate', { timeout: TEST_TIMEOUT_MS }, async () => {
    // A fresh reference that has never seen ours, so its accept is the only link. Its gossip
    // scheduler is off: see below.
    const ref2 = await startReference({ config: { allowPrivate: true, gossip: { seed: false, global: false } } })
    try {
      const client2 = await ref2.client()
      const code = (await ownerClient.rpc.call('invite.create', [{ uses: 1, note: { from: 'ours' } }])) as string
      expect(code).toMatch(new RegExp(`^127\\.0\\.0\\.1:${ours.port}:${ours.id.replace(/[+/.]/g, '\\$&')}~`))

      const results = await call<Kvt[]>(client2, 'invite.accept', code)
      expect(results.map((m) => m.value.content)).toEqual([
        { type: 'contact', following: true, autofollow: true, contact: ours.id },
        { type: 'pub', address: { host: '127.0.0.1', port: ours.port, key: ours.id } },
      ])
      const follows = (await ourFeed(ours.id)).map((m) => m.value.content).filter((c) => c.contact === ref2.id)
      expect(follows).toEqual([{ type: 'contact', contact: ref2.id, following: true, pub: true, note: { from: 'ours' } }])

      // Reference bug (ssb-invite 2.1.8 + ssb-gossip 1.1.1 + ip 1.1.9): accept adds the pub to
      // gossip as a bare multiserver string, an entry without `host`; once it is connecting or
      // connected, the scheduler's isLocal() calls ip.isPrivate(undefined), which throws in a
      // timer and kills ssb-server. So the test swaps that entry for a parsed one before the
      // reference dials us (its scheduler is off, so it cannot dial the broken entry first).
      const seedEntry = await call<{ key: string; host?: string; source: string }>(client2, 'gossip.get', ours.id)
      expect(seedEntry).toMatchObject({ key: ours.id, source: 'seed' })
      expect(seedEntry.host).toBeUndefined()
      await call(client2, 'gossip.remove', ours.id)
      await call(client2, 'gossip.connect', ours.address)

      // Replication runs both ways.
      const theirs = await call<Kvt>(client2, 'publish', { type: 'post', text: 'hi from the new user' })
      await waitForOurClock(ours.server, { [ref2.id]: theirs.value.sequence }, 40_000)
      const mine = await ours.server.db.publish({ type: 'post', text: 'welcome, new user' })
      await waitForReferenceClock(client2, { [ours.id]: mine.value.sequence }, 40_000)
      expect((await referenceClock(client2))[ours.id]).toBe(ours.server.db.feedState(ours.id)!.sequence)

      // Used up: accepting the same code again fails on the reference with our reason.
      const again = await rejection(call(client2, 'invite.accept', code))
      // explain-error keeps our reason in the stack that crossed the wire back to ssb-client.
      expect(again.message).toMatch(/invite not accepted/)
      expect(again.stack).toMatch(/already following|invite has expired/)
    } finally {
      await ref2.stop()
    }
  })

  test('hostile: a stranger calling invite.use, bogus codes and an unknown seed publish nothing', { timeout: TEST_TIMEOUT_MS }, async () => {
    const before = ours.server.db.feedState(ours.id)!.sequence
    const strangerKeys = generateKeys()
    const stranger = await connectClient({
      remote: ours.address,
      keys: { curve: 'ed25519', public: strangerKeys.public, private: strangerKeys.private, id: strangerKeys.id },
      manifest: ours.manifest,
    })
    try {
      const err = await rejection(call(stranger, 'invite.use', { feed: strangerKeys.id }))
      expect(err.message).toMatch(/only invite guests/)
      expect((await rejection(call(stranger, 'invite.create', 1))).message).toMatch(/not in list of allowed|not allowed|permission/i)
    } finally {
      await closeClient(stranger)
    }
    // The reference's ssb-client with a code whose seed we never issued.
    const forged = `127.0.0.1:${ours.port}:${ours.id}~${Buffer.alloc(32, 3).toString('base64')}`
    expect((await rejection(call(refClient, 'invite.accept', forged))).message).toMatch(/invite not accepted|only invite guests/)
    expect((await rejection(call(refClient, 'invite.accept', 'bogus'))).message).toMatch(/failed to parse invite|invite/)
    expect(ours.server.db.feedState(ours.id)!.sequence).toBe(before)

    expect((await rejection(ownerClient.rpc.call('invite.accept', ['bogus']))).message).toMatch(/not an invite code/)
  })
})

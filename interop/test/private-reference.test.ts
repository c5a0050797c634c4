// Private messages (private-box, protocol.md §14) between OUR server and the real JavaScript
// ssb-server 16 (ssb-db 20 autobox + ssb-private1): a message published on ours with
// `recps: [ours, reference]` is readable on the reference after EBT replication
// (`get({id, private: true})`), one published on the reference for ours is readable on ours,
// and third parties that replicate both (another of our servers, another reference) store the
// same ciphertext, byte for byte, but cannot read it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { SsbClient as OurClient } from '@ssb/server'
import { closeClientFirst, ourClient } from '../src/blob-helpers.js'
import { call, type SsbClient } from '../src/client.js'
import { msgId, type MsgValue } from '../src/feed-fixtures.js'
import { startOurServer, type OurServer } from '../src/our-server.js'
import { startReference, type ReferencePeer } from '../src/reference.js'
import { ourFeed, referenceFeed, referenceFollows, referenceReplicates, waitForOurClock, waitForReferenceClock } from '../src/replication-helpers.js'

const BOUND_MS = 20_000

interface Published {
  key: string
  value: MsgValue & { content: unknown }
}

let ref: ReferencePeer
let refClient: SsbClient
let ours: OurServer
let client: OurClient
/** Published on ours for [ours, ref]; published on the reference for [ref, ours]. */
let fromOurs: Published
let fromRef: Published
const others: Array<{ stop(): Promise<void> }> = []

const BOX = /^[A-Za-z0-9+/]+={0,2}\.box$/

beforeAll(async () => {
  ;[ref, ours] = await Promise.all([startReference(), startOurServer()])
  refClient = await ref.client()
  client = await ourClient(ours)
  // each follows the other (the reference replicates only feeds it follows)
  await referenceFollows(refClient, [ours.id])
  await referenceReplicates(refClient, [ours.id])
  await client.rpc.call('publish', [{ type: 'contact', contact: ref.id, following: true }])

  fromOurs = (await client.rpc.call('publish', [{ type: 'post', text: 'from ours, for the reference ✓', recps: [ours.id, ref.id] }])) as Published
  fromRef = await call<Published>(refClient, 'publish', { type: 'post', text: 'from the reference, for ours ✓', recps: [ref.id, ours.id] })

  await ours.server.connect(ref.address)
  await Promise.all([
    waitForReferenceClock(refClient, { [ours.id]: fromOurs.value.sequence }, BOUND_MS),
    waitForOurClock(ours.server, { [ref.id]: fromRef.value.sequence }, BOUND_MS),
  ])
})

afterAll(async () => {
  for (const o of others) await o.stop()
  await closeClientFirst(ours, client)
  await ours?.stop()
  await ref?.stop()
})

describe('private messages: ours ⇄ ssb-server 16', () => {
  test('both sides publish ciphertext: a .box string of canonical base64, signed as is', () => {
    for (const m of [fromOurs, fromRef]) {
      expect(typeof m.value.content).toBe('string')
      expect(m.value.content as string).toMatch(BOX)
      expect(msgId(m.value)).toBe(m.key)
    }
  })

  test('published on ours, read on the reference with get({id, private: true})', async () => {
    const plain = await call<{ content: Record<string, unknown> }>(refClient, 'get', { id: fromOurs.key, private: true })
    expect(plain.content).toMatchObject({ type: 'post', text: 'from ours, for the reference ✓', recps: [ours.id, ref.id] })
    // stored and forwarded untouched: the same ciphertext and the same message id
    const raw = await call<MsgValue>(refClient, 'get', fromOurs.key)
    expect(raw.content).toBe(fromOurs.value.content)
    const refCopy = (await referenceFeed(refClient, ours.id)).find((v) => v.sequence === fromOurs.value.sequence)!
    expect(JSON.stringify(refCopy, null, 2)).toBe(JSON.stringify(fromOurs.value, null, 2))
  })

  test('published on the reference, read on ours with get({id, private: true}) and private.unbox', async () => {
    const plain = (await client.rpc.call('get', [{ id: fromRef.key, private: true }])) as { content: Record<string, unknown> }
    expect(plain.content).toMatchObject({ type: 'post', text: 'from the reference, for ours ✓', recps: [ref.id, ours.id] })
    expect(await client.rpc.call('private.unbox', [fromRef.value.content])).toMatchObject({ text: 'from the reference, for ours ✓' })
    const raw = (await client.rpc.call('get', [fromRef.key])) as MsgValue
    expect(raw.content).toBe(fromRef.value.content)
    const ourCopy = (await ourFeed(ours.server, ref.id)).find((v) => v.sequence === fromRef.value.sequence)!
    expect(JSON.stringify(ourCopy, null, 2)).toBe(JSON.stringify(fromRef.value, null, 2))
  })

  test('third parties (another of ours, another reference) replicate the ciphertext but cannot read it', async () => {
    const [third, ref3] = await Promise.all([startOurServer(), startReference()])
    others.push(third, ref3)
    const ref3Client = await ref3.client()
    await referenceFollows(ref3Client, [ours.id, ref.id])
    await referenceReplicates(ref3Client, [ours.id, ref.id])
    for (const id of [ours.id, ref.id]) await third.server.db.publish({ type: 'contact', contact: id, following: true })

    // both fetch both feeds from the reference, which holds ours's feed as well as its own
    await third.server.connect(ref.address)
    await call(ref3Client, 'gossip.connect', ref.address)
    const expected = { [ours.id]: fromOurs.value.sequence, [ref.id]: fromRef.value.sequence }
    await Promise.all([waitForOurClock(third.server, expected, BOUND_MS), waitForReferenceClock(ref3Client, expected, BOUND_MS)])

    const thirdClient = await ourClient(third)
    try {
      for (const m of [fromOurs, fromRef]) {
        const onThird = (await thirdClient.rpc.call('get', [{ id: m.key, private: true }])) as MsgValue
        expect(onThird.content).toBe(m.value.content)
        expect(await thirdClient.rpc.call('private.unbox', [m.value.content])).toBeNull()
        const onRef3 = await call<MsgValue>(ref3Client, 'get', { id: m.key, private: true })
        expect(onRef3.content).toBe(m.value.content)
      }
    } finally {
      await thirdClient.close()
    }
  })
})

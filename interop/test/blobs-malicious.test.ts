// A malicious blobs peer (our own @ssb/shs + @ssb/rpc, scripted, see src/fake-peer.ts) against
// OUR server: it announces a blob through `blobs.createWants` and answers `blobs.get` with the
// wrong bytes, too few bytes or too many. Ours never stores them (nor leaves a temporary file),
// cuts that peer off, keeps wanting the blob and gets it from an honest peer afterwards. A have
// over 5 MiB is never even requested.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { CallInfo } from '@ssb/rpc'
import type { SsbClient as OurClient } from '@ssb/server'
import { BLOB_MAX, blobBytes, blobId, blobOnDisk, blobTmpFiles, chunks, closeClientFirst, ourClient, ourGetBlob } from '../src/blob-helpers.js'
import { startFakePeer, type FakePeer } from '../src/fake-peer.js'
import { startOurServer, type OurServer } from '../src/our-server.js'
import { pollUntil, within } from '../src/wait.js'

const BOUND_MS = 10_000

let ours: OurServer
let client: OurClient
const fakes: FakePeer[] = []

beforeAll(async () => {
  ours = await startOurServer()
  client = await ourClient(ours)
})

afterAll(async () => {
  for (const f of fakes) await f.close()
  await closeClientFirst(ours, client)
  await ours?.stop()
})

interface BlobPeer {
  fake: FakePeer
  /** Ids ours asked for with blobs.get, in order. */
  gets: string[]
}

/** A peer that announces `haves` ({id: size}) in its first want-map frame and serves `serve(id)`. */
async function blobPeer(haves: Record<string, number>, serve: (id: string) => Iterable<Uint8Array>): Promise<BlobPeer> {
  const gets: string[] = []
  const fake = await startFakePeer({
    manifest: { blobs: { createWants: 'source', get: 'source' } },
    api: {
      blobs: {
        createWants: (_args: unknown[], call: CallInfo) =>
          (async function* () {
            yield haves
            // then stay open, like ssb-blobs, until ours ends the stream or the connection
            await new Promise<void>((resolve) => (call.signal.aborted ? resolve() : call.signal.addEventListener('abort', () => resolve())))
          })(),
        get: (args: unknown[]) => {
          const a = args[0] as { key?: string; id?: string } | string
          const id = typeof a === 'string' ? a : (a.key ?? a.id ?? '')
          gets.push(id)
          return serve(id)
        },
      },
    },
  })
  fakes.push(fake)
  return { fake, gets }
}

/**
 * Ours wants `id`; resolves once the want is registered (calls are served in order, so after a
 * `whoami` round trip), with `done`: the pending `blobs.want`, true once the blob is stored.
 */
async function want(id: string): Promise<{ done: Promise<unknown> }> {
  const done = client.rpc.call('blobs.want', [id])
  done.catch(() => {})
  await client.rpc.call('whoami', [])
  return { done }
}

async function expectNothingStored(id: string): Promise<void> {
  expect(await client.rpc.call('blobs.has', [id])).toBe(false)
  expect(blobOnDisk(ours.dir, id)).toBe(false)
  // the failed add removes its temporary file as it unwinds
  await pollUntil(() => blobTmpFiles(ours.dir).length === 0, { what: 'no temporary blob files', timeoutMs: 5_000, intervalMs: 20 })
}

const settledState = (p: Promise<unknown>) =>
  Promise.race([p.then(() => 'resolved', () => 'rejected'), client.rpc.call('whoami', []).then(() => 'pending')])

describe('a malicious blobs peer against our server', () => {
  const cases: Array<[string, (good: Buffer) => Uint8Array[]]> = [
    ['wrong bytes of the right size', (good) => chunks(blobBytes(good.length, 'forgery'))],
    ['the first half only', (good) => chunks(good.subarray(0, good.length >> 1))],
    ['the right bytes followed by more than 5 MiB', (good) => [...chunks(good), ...chunks(blobBytes(BLOB_MAX, 'padding'))]],
  ]

  test.each(cases)('%s: nothing stored, the peer is cut off, an honest peer is used afterwards', async (label, forge) => {
    const good = blobBytes(200_000 + label.length, `good ${label}`)
    const id = blobId(good)
    const { done: wanted } = await want(id)

    const bad = await blobPeer({ [id]: good.length }, () => forge(good))
    const rpc = await bad.fake.dial(ours.address)
    const cutOff = await within(rpc.whenClosed().then(() => true), BOUND_MS, 'ours cutting off the bad peer')
    expect(cutOff).toBe(true)
    expect(bad.gets).toEqual([id])
    await expectNothingStored(id)
    expect(ours.server.connections().some((c) => c.id === bad.fake.id)).toBe(false)
    expect(await settledState(wanted)).toBe('pending')

    const honest = await blobPeer({ [id]: good.length }, () => chunks(good))
    await honest.fake.dial(ours.address)
    expect(await within(wanted, BOUND_MS, 'the blob from the honest peer')).toBe(true)
    expect((await ourGetBlob(client, id)).equals(good)).toBe(true)
    expect(honest.gets).toEqual([id])
  })

  test('a have over 5 MiB is never requested; a marker in the same frame is', async () => {
    const big = blobBytes(BLOB_MAX + 1, 'announced big')
    const marker = blobBytes(4321, 'marker')
    const bigId = blobId(big)
    const markerId = blobId(marker)
    const { done: bigWanted } = await want(bigId)
    const { done: markerWanted } = await want(markerId)
    const peer = await blobPeer({ [bigId]: big.length, [markerId]: marker.length }, (id) => chunks(id === bigId ? big : marker))
    await peer.fake.dial(ours.address)
    expect(await within(markerWanted, BOUND_MS, 'the marker')).toBe(true)
    // the frame that carried the marker's have carried the big one too; only the marker was fetched
    expect(peer.gets).toEqual([markerId])
    await expectNothingStored(bigId)
    expect(await settledState(bigWanted)).toBe('pending')
  })

  test('a have that lies about the size (says 10 bytes, serves 5 MiB + 1): refused as too large, peer cut off', async () => {
    const big = blobBytes(BLOB_MAX + 1, 'lying size')
    const id = blobId(big)
    const { done: wanted } = await want(id)
    const liar = await blobPeer({ [id]: 10 }, () => chunks(big))
    const rpc = await liar.fake.dial(ours.address)
    await within(rpc.whenClosed(), BOUND_MS, 'ours cutting off the liar')
    expect(liar.gets).toEqual([id])
    await expectNothingStored(id)
    expect(await settledState(wanted)).toBe('pending')
  })
})

// A peer that announces a blob and then stalls in the middle of `blobs.get` must not keep OUR
// server from getting that blob from an honest peer.
//
// Found while writing the blob interop tests: @ssb/blobs' sync (packages/blobs/src/sync.ts)
// marks the id in `getting` for the whole fetch and fetchFrom() returns early while it is set;
// there is no deadline or idle limit on a fetch, so a peer that stops sending (without ending
// the stream or the connection) blocks the blob until that connection dies, i.e. up to the
// 600 s inactivity timeout, or forever if the peer keeps the connection busy (EBT, pings).
// ssb-blobs 1.2.2 has the same `getting[id]` logic, so this is parity with JS, but it lets any
// peer deny any blob it can name. A per-fetch idle deadline (then trying the next peer that has
// it) fixes it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { CallInfo } from '@ssb/rpc'
import type { SsbClient as OurClient } from '@ssb/server'
import { blobBytes, blobId, chunks, closeClientFirst, ourClient, ourGetBlob } from '../src/blob-helpers.js'
import { startFakePeer, type FakePeer } from '../src/fake-peer.js'
import { startOurServer, type OurServer } from '../src/our-server.js'
import { within } from '../src/wait.js'

/** Generous: an honest 100 kB transfer on loopback takes a few ms. */
const HONEST_BOUND_MS = 15_000

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

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve())))
}

async function peer(id: string, size: number, serve: (call: CallInfo) => AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<FakePeer> {
  const fake = await startFakePeer({
    manifest: { blobs: { createWants: 'source', get: 'source' } },
    api: {
      blobs: {
        createWants: (_args: unknown[], call: CallInfo) =>
          (async function* () {
            yield { [id]: size }
            await untilAborted(call.signal)
          })(),
        get: (_args: unknown[], call: CallInfo) => serve(call),
      },
    },
  })
  fakes.push(fake)
  return fake
}

describe('a peer that stalls a blob transfer', () => {
  test('does not keep ours from fetching the blob from an honest peer', async () => {
    const good = blobBytes(100_000, 'stalled blob')
    const id = blobId(good)
    const wanted = client.rpc.call('blobs.want', [id])
    wanted.catch(() => {})
    await client.rpc.call('whoami', [])

    let stalled!: () => void
    const stalling = new Promise<void>((resolve) => (stalled = resolve))
    const staller = await peer(id, good.length, (call) =>
      (async function* () {
        yield good.subarray(0, 1000)
        stalled()
        await untilAborted(call.signal) // never sends the rest, never ends
      })(),
    )
    await staller.dial(ours.address)
    await within(stalling, HONEST_BOUND_MS, 'ours to start fetching from the staller')

    const honest = await peer(id, good.length, () => chunks(good))
    await honest.dial(ours.address)
    expect(await within(wanted, HONEST_BOUND_MS, 'the blob from the honest peer')).toBe(true)
    expect((await ourGetBlob(client, id)).equals(good)).toBe(true)
  })
})

import net from 'node:net'
import type { Duplex } from 'node:stream'
import { afterEach, expect, test } from 'vitest'
import { createRpc, type Api, type RpcConnection } from '../src/index.js'
import { duplexPair, tcpPair } from './helpers.js'
import { frameBytes } from './raw-peer.js'

const ITEM = 1024
const manifest = { flood: 'source', drain: 'sink' } as const

let produced = 0
const api: Api = {
  flood: async function* () {
    const item = new Uint8Array(ITEM).fill(1)
    for (;;) {
      produced++
      yield item
    }
  },
  drain: async (_a, _c, input) => {
    for await (const _ of input) void _
  },
}

let conn: RpcConnection | null = null
let cleanup: () => Promise<void> = async () => {}
afterEach(async () => {
  await conn?.close(new Error('done'))
  await cleanup()
  conn = null
  cleanup = async () => {}
})

/** Yield to the event loop until `cond` holds (bounded: never a timed sleep). */
async function turnsUntil(cond: () => boolean, maxTurns = 200_000): Promise<void> {
  for (let i = 0; i < maxTurns && !cond(); i++) await new Promise((r) => setImmediate(r))
  expect(cond()).toBe(true)
}

async function settle(turns = 200): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r))
}

const floodRequest = frameBytes(0x0a, 1, JSON.stringify({ name: ['flood'], args: [], type: 'source' }))

test('a peer that stops reading pauses our source handler (memory pipe)', async () => {
  produced = 0
  const highWater = 64 * 1024
  const [ours, theirs] = duplexPair(16 * 1024)
  conn = createRpc({ stream: ours, api }, { manifest, context: { remoteId: '@p' }, outboundHighWaterBytes: highWater })
  theirs.write(floodRequest) // and never read
  await turnsUntil(() => conn!.stats().outboundPaused)
  await settle()
  const stalledAt = produced
  await settle()
  expect(produced).toBe(stalledAt)
  // our buffer + the peer's readable buffer + the item in flight, not the endless stream
  expect(produced * ITEM).toBeLessThan(highWater + 16 * 1024 + 16 * ITEM)
  expect(conn.stats().queuedBytes).toBeLessThan(highWater + 2 * ITEM + 64)
  let received = 0
  theirs.on('data', (c: Buffer) => (received += c.length))
  await turnsUntil(() => received > 4 * highWater)
  expect(produced).toBeGreaterThan(stalledAt)
})

test('a TCP peer that never reads: bounded queue, the generator is not run to exhaustion', async () => {
  produced = 0
  const [client, server, close] = await tcpPair()
  cleanup = close
  conn = createRpc({ stream: server, api }, { manifest, context: { remoteId: '@p' } })
  client.pause()
  client.write(floodRequest)
  await turnsUntil(() => conn!.stats().outboundPaused)
  await settle()
  const stalledAt = produced
  await settle()
  expect(produced).toBe(stalledAt)
  // 1 MiB of our own queue plus whatever the kernel's socket buffers absorbed
  expect(produced * ITEM).toBeLessThan(64 * 1024 * 1024)
  expect(conn.stats().queuedBytes).toBeLessThan(2 * 1024 * 1024)
})

test('sink(): our input is pulled only as fast as the transport drains', async () => {
  const highWater = 32 * 1024
  const [ours, theirs] = duplexPair(16 * 1024)
  conn = createRpc({ stream: ours }, { manifest: {}, remoteManifest: manifest, context: { remoteId: '@p' }, outboundHighWaterBytes: highWater })
  let pulled = 0
  const input = (function* () {
    for (;;) {
      pulled++
      yield new Uint8Array(ITEM)
    }
  })()
  const done = conn.sink('drain', [], input).catch((e: unknown) => e)
  await turnsUntil(() => conn!.stats().outboundPaused)
  await settle()
  const stalledAt = pulled
  await settle()
  expect(pulled).toBe(stalledAt)
  expect(pulled * ITEM).toBeLessThan(highWater + 16 * 1024 + 16 * ITEM)
  await conn.close(new Error('stop'))
  expect(await done).toMatchObject({ code: 'RPC_CLOSED' })
  void (theirs as Duplex)
  void net
})

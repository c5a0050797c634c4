// Regression test for a hang found while writing the blob interop tests: OUR server's close()
// never returns if a client that still waits on an async call with no answer yet (here
// `blobs.want` for a blob nobody has, e.g. the CLI's) hangs up while the server shuts down.
//
// Cause (packages/rpc/src/connection.ts): close() first waits for open calls with
// `await new Promise((resolve) => { tracker.whenIdle().then(resolve, resolve); this.#timer(resolve) })`.
// The pending `blobs.want` keeps the tracker busy, so only that timer can end the wait. The
// peer's hang-up, processed meanwhile, closes the connection (#fatal → mux closed →
// #onMuxClosed → #maybeResolve), and #maybeResolve() clears EVERY timer in #timers, including
// the one close() is waiting on. close() then waits forever, although the connection is closed
// and whenClosed() has resolved; Listeners.close() awaits it, so SsbServer.close() never
// returns. Racing #closedPromise in that wait (or not clearing the timers close() still waits
// on) fixes it. The same happens with a peer that completes the goodbye exchange itself.
import { rmSync } from 'node:fs'
import { afterAll, describe, expect, test } from 'vitest'
import type { SsbClient as OurClient } from '@ssb/server'
import { blobBytes, blobId, ourClient } from '../src/blob-helpers.js'
import { startOurServer, type OurServer } from '../src/our-server.js'
import { within } from '../src/wait.js'

/** A close of an idle loopback server takes a few ms; the rpc close timeout is 5 s. */
const CLOSE_BOUND_MS = 12_000

let ours: OurServer | undefined
let client: OurClient | undefined

afterAll(async () => {
  await client?.rpc.close(new Error('test over')).catch(() => {})
  if (ours) rmSync(ours.dir, { recursive: true, force: true })
})

describe('server shutdown with a blobs.want still waiting', () => {
  test('server.close() returns when a client waiting on blobs.want hangs up during the shutdown', async () => {
    ours = await startOurServer()
    client = await ourClient(ours)
    const wanted = client.rpc.call('blobs.want', [blobId(blobBytes(100, 'nobody has this'))])
    wanted.catch(() => {})
    await client.rpc.call('whoami', []) // the want is registered on the server
    const [conn] = ours.server.connections().filter((c) => c.id === ours!.id)
    expect(conn).toBeDefined()

    // the client hangs up (no goodbye) and, in the same tick, the server starts shutting down
    const hangUp = client.rpc.close(new Error('client gone'))
    const closing = ours.server.close().then(() => 'closed')
    await hangUp
    await expect(wanted).rejects.toThrow()
    await within(conn!.rpc.whenClosed(), CLOSE_BOUND_MS, 'the server side of the connection to close')
    await expect(within(closing, CLOSE_BOUND_MS, 'server.close()')).resolves.toBe('closed')
  })
})

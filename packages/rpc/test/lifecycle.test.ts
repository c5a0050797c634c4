import type { Duplex } from 'node:stream'
import { afterEach, expect, test, vi } from 'vitest'
import { createRpc, RpcError, type Api, type RpcConnection, type RpcOptions } from '../src/index.js'
import { duplexPair } from './helpers.js'
import { frameBytes, GOODBYE_BYTES, RawPeer } from './raw-peer.js'

const manifest = { slow: 'async', whoami: 'sync', live: 'source' } as const
let release: () => void = () => {}
const api: Api = {
  slow: () =>
    new Promise((resolve) => {
      release = () => resolve('late')
    }),
  whoami: (_a, c) => ({ id: c.remoteId }),
  live: async function* (_a, c) {
    while (!c.signal.aborted) {
      yield 1
      await new Promise((r) => setImmediate(r))
    }
  },
}

let conn: RpcConnection | null = null
afterEach(async () => {
  vi.useRealTimers()
  await conn?.close(new Error('done'))
  conn = null
})

let ours: Duplex
function setup(opts: Partial<RpcOptions> = {}): RawPeer {
  const [a, theirs] = duplexPair()
  ours = a
  conn = createRpc({ stream: ours, api }, { manifest, context: { remoteId: '@peer' }, ...opts })
  return new RawPeer(theirs)
}

const req = (n: number, name: string): Buffer => frameBytes(0x02, n, JSON.stringify({ name: [name], args: [] }))

test('inactivity: closes with RPC_INACTIVE after the configured idle time; traffic resets the clock', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  const peer = setup({ inactivityTimeoutMs: 1000 })
  await vi.advanceTimersByTimeAsync(600)
  peer.send(req(1, 'whoami'))
  await peer.next()
  await vi.advanceTimersByTimeAsync(900)
  expect(conn!.closed).toBe(false)
  await vi.advanceTimersByTimeAsync(200)
  const err = await conn!.whenClosed()
  expect(err).toBeInstanceOf(RpcError)
  expect(err!.code).toBe('RPC_INACTIVE')
})

test('inactivity is off by default', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  setup()
  await vi.advanceTimersByTimeAsync(3_600_000)
  expect(conn!.closed).toBe(false)
})

test('close() answers pending requests before the goodbye, then ends the stream', async () => {
  const peer = setup()
  peer.send(req(1, 'slow'))
  peer.send(req(2, 'whoami'))
  expect((await peer.next())!.req).toBe(-2)
  const closing = conn!.close()
  release()
  const reply = (await peer.next())!
  expect([reply.flags, reply.req, reply.text]).toEqual([0x01, -1, 'late'])
  expect((await peer.next())!.headerHex).toBe('000000000000000000')
  peer.send(GOODBYE_BYTES)
  await closing
  expect(await conn!.whenClosed()).toBeUndefined()
  expect(await peer.next()).toBeNull()
})

test('close() ends the streams a peer opened on us', async () => {
  const peer = setup()
  peer.send(frameBytes(0x0a, 1, JSON.stringify({ name: ['live'], args: [], type: 'source' })))
  await peer.next()
  const closing = conn!.close()
  let f = (await peer.next())!
  while (f.flags === 0x0a) f = (await peer.next())!
  expect([f.flags, f.req, f.text]).toEqual([0x0e, -1, 'true'])
  expect((await peer.next())!.length).toBe(0) // goodbye
  peer.send(GOODBYE_BYTES)
  await closing
})

test('a peer that never answers our goodbye: RPC_CLOSE_TIMEOUT after closeTimeoutMs', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  const peer = setup({ closeTimeoutMs: 500 })
  const closing = conn!.close()
  expect((await peer.next())!.length).toBe(0)
  await vi.advanceTimersByTimeAsync(501)
  await closing
  expect((await conn!.whenClosed())!.code).toBe('RPC_CLOSE_TIMEOUT')
})

test('the peer says goodbye while our call is open: the call fails, the close is clean', async () => {
  const peer = setup()
  const pending = conn!.call('whoami')
  await peer.next()
  peer.send(GOODBYE_BYTES)
  await expect(pending).rejects.toMatchObject({ code: 'RPC_CLOSED', message: 'unexpected end of parent stream' })
  expect((await peer.next())!.length).toBe(0)
  expect(await conn!.whenClosed()).toBeUndefined()
})

test('the peer hangs up without goodbye while calls are open: RPC_CLOSED', async () => {
  const peer = setup()
  const pending = conn!.call('whoami')
  await peer.next()
  peer.stream.end()
  await expect(pending).rejects.toMatchObject({ code: 'RPC_CLOSED' })
  expect((await conn!.whenClosed())!.code).toBe('RPC_CLOSED')
})

test('close(err) drops the connection at once; open calls fail with RPC_CLOSED caused by err', async () => {
  const peer = setup()
  const pending = conn!.call('whoami')
  await peer.next()
  const reason = new Error('shutting down')
  await conn!.close(reason)
  const failure = await pending.catch((e: unknown) => e)
  expect(failure).toMatchObject({ code: 'RPC_CLOSED' })
  expect((failure as RpcError).cause).toBe(reason)
  expect((await conn!.whenClosed())!.cause).toBe(reason)
  expect(await peer.next()).toBeNull()
  await expect(conn!.call('whoami')).rejects.toMatchObject({ code: 'RPC_CLOSED' })
})

test('a transport error closes the connection with RPC_TRANSPORT and fails open calls', async () => {
  const peer = setup()
  const pending = conn!.call('whoami')
  await peer.next()
  ours.destroy(new Error('ECONNRESET'))
  await expect(pending).rejects.toMatchObject({ code: 'RPC_CLOSED' })
  const err = await conn!.whenClosed()
  expect(err!.code).toBe('RPC_TRANSPORT')
  expect((err!.cause as Error).message).toBe('ECONNRESET')
})

import { afterEach, describe, expect, test } from 'vitest'
import { RpcError, type Api, type CallInfo } from '../src/index.js'
import { collect, connectPair, fromArray, type Pair } from './helpers.js'

const manifest = {
  manifest: 'sync',
  whoami: 'sync',
  add: 'async',
  hold: 'async',
  fail: 'async',
  notFound: 'async',
  bytes: 'async',
  nums: 'source',
  live: 'source',
  sliced: 'source',
  badSource: 'source',
  collect: 'sink',
  blobs: { add: 'sink', get: 'source' },
  echo: 'duplex',
} as const

interface Probe {
  sunk: unknown[]
  /** Slices the `sliced` source handed out, and whether its slice iterator was closed. */
  slices: number
  slicesClosed: boolean
  liveStopped: Promise<boolean>
  releaseHolds: () => void
}

function makeApi(): { api: Api; probe: Probe } {
  let liveStopped!: (aborted: boolean) => void
  let releaseHolds!: () => void
  const holds = new Promise<void>((r) => (releaseHolds = r))
  const probe: Probe = { sunk: [], slices: 0, slicesClosed: false, liveStopped: new Promise((r) => (liveStopped = r)), releaseHolds }
  const api: Api = {
    manifest: () => manifest,
    whoami: (_a, c) => ({ id: c.remoteId }),
    add: async ([x, y]) => (x as number) + (y as number),
    hold: async ([x]) => {
      await holds
      return x
    },
    fail: () => Promise.reject(new Error('disk on fire at /var/x')),
    notFound: ([id]) => {
      throw new RpcError('NOT_FOUND', `not found: ${String(id)}`, { expose: true })
    },
    bytes: ([n]) => new Uint8Array(n as number).fill(7),
    nums: ([n]) => fromArray([...Array(n as number).keys()]),
    live: async function* (_a, c: CallInfo) {
      try {
        for (let i = 0; ; i++) {
          yield i
          await new Promise((r) => setTimeout(r, 1))
        }
      } finally {
        liveStopped(c.signal.aborted)
      }
    },
    // An iterable that can also be read a slice at a time (Symbol.for('ssb.slices'), @ssb/db's
    // SLICES): the transport reads the slices; iterated one by one it would say 'unsliced'.
    sliced: ([n, size]) => ({
      async *[Symbol.asyncIterator]() {
        yield 'unsliced'
      },
      [Symbol.for('ssb.slices')]: async function* () {
        try {
          for (let i = 0; i < (n as number); i += size as number) {
            probe.slices++
            yield i % 3 === 0 ? [] : Array.from({ length: Math.min(size as number, (n as number) - i) }, (_, k) => ({ i: i + k }))
            await new Promise((r) => setImmediate(r))
          }
        } finally {
          probe.slicesClosed = true
        }
      },
    }),
    badSource: async () => {
      throw new RpcError('BAD_ARGS', 'need an id', { expose: true })
    },
    collect: async (_a, _c, input) => {
      for await (const x of input) probe.sunk.push(x)
    },
    blobs: {
      add: async (_a, _c, input) => {
        // Like a blob store: stops reading at the limit, then cleans up before it fails.
        let n = 0
        for await (const chunk of input) {
          n += (chunk as Uint8Array).byteLength
          if (n > 10) break
        }
        await new Promise((r) => setTimeout(r, 20))
        if (n > 10) throw new RpcError('TOO_BIG', 'blob too big', { expose: true })
      },
      get: async function* ([size]) {
        for (let left = size as number; left > 0; left -= 65536) yield new Uint8Array(Math.min(65536, left)).fill(1)
      },
    },
    echo: (_a, _c, input) => input,
  }
  return { api, probe }
}

let pair: Pair | null = null
afterEach(async () => {
  await pair?.cleanup()
  pair = null
})

describe.each(['tcp', 'memory'] as const)('over %s', (transport) => {
  async function setup(optsB = {}) {
    const A = makeApi()
    const B = makeApi()
    pair = await connectPair(transport, { manifest, apiA: A.api, apiB: B.api, optsB })
    return { a: pair.a, b: pair.b, probeA: A.probe, probeB: B.probe }
  }

  test('every call type, both directions', async () => {
    const { a, b, probeA, probeB } = await setup()
    // whoami answers with the id the callee authenticated the caller as
    for (const [caller, probe, callerId] of [[a, probeB, '@a'], [b, probeA, '@b']] as const) {
      expect(await caller.call('whoami')).toEqual({ id: callerId })
      expect(await caller.call('add', [2, 3])).toBe(5)
      expect(await collect(caller.source('nums', [4]))).toEqual([0, 1, 2, 3])
      await caller.sink('collect', [], fromArray(['x', { y: 1 }, new Uint8Array([1])]))
      expect(probe.sunk).toEqual(['x', { y: 1 }, new Uint8Array([1])])
      const out: unknown[] = []
      let release!: () => void
      const done = new Promise<void>((r) => (release = r))
      const input = (async function* () {
        yield 1
        yield 'two'
        await done
      })()
      for await (const x of caller.duplex('echo', [], input)) if (out.push(x) === 2) release()
      expect(out).toEqual([1, 'two'])
    }
  })

  test('the remote proxy, the string name "manifest", binary values', async () => {
    const { a } = await setup()
    expect(await a.call('manifest')).toEqual(manifest)
    expect(await a.remote.add(40, 2)).toBe(42)
    expect(await a.call('bytes', [5])).toEqual(new Uint8Array(5).fill(7))
    const big = (await a.call('bytes', [4 * 1024 * 1024])) as Uint8Array
    expect(big.byteLength).toBe(4 * 1024 * 1024)
    const chunks = (await collect(a.source('blobs.get', [200_000]))) as Uint8Array[]
    expect(chunks.map((c) => c.byteLength)).toEqual([65536, 65536, 65536, 3392])
    await a.remote.blobs.add()([new Uint8Array(4)])
  })

  test('errors: remote message kept, internal details hidden, unknown methods named', async () => {
    const { a } = await setup()
    await expect(a.call('notFound', ['%x'])).rejects.toMatchObject({ code: 'RPC_REMOTE_ERROR', message: 'not found: %x', remoteName: 'RpcError' })
    await expect(a.call('fail')).rejects.toMatchObject({ code: 'RPC_REMOTE_ERROR', message: 'internal error' })
    await expect(a.call('nope')).rejects.toMatchObject({ code: 'RPC_REMOTE_ERROR', message: 'no async:nope' })
    await expect(collect(a.source('nope'))).rejects.toMatchObject({ message: 'no source:nope' })
    await expect(collect(a.source('badSource'))).rejects.toMatchObject({ message: 'need an id' })
    await expect(a.sink('blobs.add', [], [new Uint8Array(20)])).rejects.toMatchObject({ message: 'blob too big' })
    await expect(a.call('add', [1n])).rejects.toMatchObject({ code: 'RPC_BAD_ARGS' })
    expect(await a.call('add', [1, 1])).toBe(2)
  })

  test('a sink handler that stops reading early ends the call with its outcome, not with a success first', async () => {
    const { a } = await setup()
    async function* chunks(n: number, delayEvery = 0) {
      for (let i = 0; i < n; i++) {
        if (delayEvery > 0 && i % delayEvery === 0) await new Promise((r) => setImmediate(r))
        yield new Uint8Array(4)
      }
    }
    await expect(a.sink('blobs.add', [], [new Uint8Array(20)])).rejects.toMatchObject({ message: 'blob too big' })
    await expect(a.sink('blobs.add', [], chunks(200))).rejects.toMatchObject({ message: 'blob too big' })
    await expect(a.sink('blobs.add', [], chunks(200, 3))).rejects.toMatchObject({ message: 'blob too big' })
    await expect(a.sink('blobs.add', [], chunks(2))).resolves.toBeUndefined()
    expect(await a.call('add', [1, 1])).toBe(2)
  })

  test('permissions: allow list and predicate', async () => {
    const { a } = await setup({ permissions: { allow: ['whoami', 'blobs'] } })
    expect(await a.call('whoami')).toEqual({ id: '@a' })
    await a.sink('blobs.add', [], [new Uint8Array(1)])
    await expect(a.call('add', [1, 2])).rejects.toMatchObject({ message: 'method:add is not in list of allowed methods' })
    await expect(collect(a.source('nums', [1]))).rejects.toMatchObject({ message: 'method:nums is not in list of allowed methods' })
    const other = await connectPair(transport, { manifest, apiA: makeApi().api, apiB: makeApi().api, optsB: { permissions: (n: string[]) => n[0] === 'add' } })
    try {
      expect(await other.a.call('add', [1, 2])).toBe(3)
      await expect(other.a.call('whoami')).rejects.toThrow('method:whoami is not in list of allowed methods')
    } finally {
      await other.cleanup()
    }
  })

  test('abort mid-stream: signal, break, and a sink; the peer handler stops and state is freed', async () => {
    const { a, b, probeB } = await setup()
    const ac = new AbortController()
    const seen: unknown[] = []
    await expect(
      (async () => {
        for await (const x of a.source('live', [], { signal: ac.signal })) if (seen.push(x) === 3) ac.abort()
      })(),
    ).rejects.toMatchObject({ code: 'RPC_ABORTED' })
    expect(seen).toEqual([0, 1, 2])
    expect(await probeB.liveStopped).toBe(true)
    for await (const x of a.source('nums', [1000])) if (x === 5) break
    const sinkAc = new AbortController()
    const forever = (async function* () {
      for (let i = 0; ; i++) {
        if (i === 3) sinkAc.abort()
        yield i
        await new Promise((r) => setImmediate(r))
      }
    })()
    await expect(a.sink('collect', [], forever, { signal: sinkAc.signal })).rejects.toMatchObject({ code: 'RPC_ABORTED' })
    await expect(a.call('add', [1, 1], { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'RPC_ABORTED' })
    expect(await a.call('add', [1, 1])).toBe(2)
    expect(a.stats().outboundOpen).toBe(0)
    expect(b.stats().inboundOpen).toBe(0)
  })

  test('a source that can be read in slices (ssb.slices) is sent item by item in order; stopping closes it', async () => {
    const { a, probeB } = await setup()
    // slices of 7 items; every third slice (i % 3 === 0) is empty
    const want = Array.from({ length: 100 }, (_, i) => ({ i })).filter((x) => Math.floor(x.i / 7) % 3 !== 0)
    expect(await collect(a.source('sliced', [100, 7]))).toEqual(want)
    expect(probeB.slices).toBe(15)
    expect(probeB.slicesClosed).toBe(true)
    probeB.slices = 0
    probeB.slicesClosed = false
    let seen = 0
    for await (const _ of a.source('sliced', [10_000, 50])) if (++seen === 60) break
    await new Promise((r) => setTimeout(r, 50))
    expect(probeB.slicesClosed).toBe(true)
    expect(probeB.slices).toBeLessThan(200)
  })

  test('the connection drops mid-stream: open calls fail with RPC_CLOSED', async () => {
    const { a, b } = await setup()
    const it = a.source('live')[Symbol.asyncIterator]()
    expect((await it.next()).value).toBe(0)
    const pendingCall = a.call('live') // wrong type: answered with an error, or cut off below
    pair!.streams[1].destroy()
    const failure = await (async () => {
      for (;;) await it.next()
    })().catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(RpcError)
    expect((failure as RpcError).code).toBe('RPC_CLOSED')
    await pendingCall.catch(() => {})
    expect(await a.whenClosed()).toBeInstanceOf(RpcError)
    await b.whenClosed()
    await expect(a.call('whoami')).rejects.toMatchObject({ code: 'RPC_CLOSED' })
    expect(a.closed).toBe(true)
  })

  test('many concurrent calls and streams, up to the open-call limit', async () => {
    const { a, b, probeB } = await setup()
    const calls = Array.from({ length: 1000 }, (_, i) => a.call('add', [i, 1]))
    const streams = Array.from({ length: 50 }, () => collect(b.source('nums', [100])))
    const [results, lists] = await Promise.all([Promise.all(calls), Promise.all(streams)])
    expect(results.every((r, i) => r === i + 1)).toBe(true)
    for (const s of lists) expect(s).toHaveLength(100)
    // 1024 open at once on b, the next is refused with an error reply (the limit is per connection)
    const burst = Array.from({ length: 1100 }, (_, i) => a.call('hold', [i]))
    const refused = await Promise.allSettled(burst.slice(1024))
    expect(refused.every((r) => r.status === 'rejected')).toBe(true)
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ message: 'too many open calls on this connection (max 1024)' })
    expect(b.stats().inboundOpen).toBe(1024)
    probeB.releaseHolds()
    expect(await Promise.all(burst.slice(0, 1024))).toEqual([...Array(1024).keys()])
    expect(await a.call('add', [1, 1])).toBe(2)
  })

  test('close(): ends our streams, exchanges goodbyes, both sides close cleanly', async () => {
    const { a, b, probeB } = await setup()
    const it = a.source('live')[Symbol.asyncIterator]()
    await it.next()
    const pending = a.call('add', [1, 2])
    await a.close()
    expect(await pending).toBe(3)
    expect((await it.next()).done).toBe(true)
    expect(await probeB.liveStopped).toBe(true)
    expect(await a.whenClosed()).toBeUndefined()
    expect(await b.whenClosed()).toBeUndefined()
    expect(b.closed).toBe(true)
  })
})

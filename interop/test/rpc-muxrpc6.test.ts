// @ssb/rpc against the JavaScript muxrpc 6.7.3 that ssb-server 16 runs (via secret-stack),
// over plain TCP with JS's own packet-stream-codec framing: every call type, both directions.
import { once } from 'node:events'
import { createRequire } from 'node:module'
import net from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
// interop does not list @ssb/rpc as a dependency yet, so it is imported by path.
import { createRpc, RpcError, type Api, type RpcConnection } from '@ssb/rpc'

const requireHere = createRequire(import.meta.url)
const requireServer = createRequire(requireHere.resolve('ssb-server'))
const requireSecretStack = createRequire(requireServer.resolve('secret-stack'))
const requireMuxrpc = createRequire(requireSecretStack.resolve('muxrpc'))
const requireMultiserver = createRequire(requireSecretStack.resolve('multiserver'))

type Cb = (err: unknown, value?: unknown) => void
type PullSource = (abort: unknown, cb: Cb) => void
type PullSink = (read: PullSource) => void
/* eslint-disable @typescript-eslint/no-explicit-any */
const MRPC = requireSecretStack('muxrpc') as (remote: unknown, local: unknown) => (api: unknown) => any
const pull = requireMuxrpc('pull-stream') as any
const toPull = requireMultiserver('stream-to-pull-stream') as any
const muxrpcVersion = (requireSecretStack('muxrpc/package.json') as { version: string }).version

const manifest = {
  manifest: 'sync',
  hello: 'async',
  fail: 'async',
  bin: 'async',
  stuff: 'source',
  forever: 'source',
  take: 'sink',
  dup: 'duplex',
} as const

/** A pull source the test feeds by hand (JS peers need an input that stays open). */
function manualSource(): { source: PullSource; push: (v: unknown) => void; end: () => void } {
  const queue: unknown[] = []
  let ended = false
  let waiting: Cb | null = null
  const flush = (): void => {
    if (waiting === null) return
    const cb = waiting
    if (queue.length > 0) {
      waiting = null
      cb(null, queue.shift())
    } else if (ended) {
      waiting = null
      cb(true)
    }
  }
  return {
    source: (abort, cb) => {
      if (abort) {
        ended = true
        return cb(abort)
      }
      waiting = cb
      flush()
    },
    push: (v) => {
      queue.push(v)
      flush()
    },
    end: () => {
      ended = true
      flush()
    },
  }
}

const js = { sunk: [] as unknown[], foreverAborted: false }
const jsApi = {
  manifest: () => manifest,
  hello: (name: string, cb: Cb) => cb(null, `hello ${name} from js`),
  fail: (cb: Cb) => cb(new Error('js says no')),
  bin: (cb: Cb) => cb(null, Buffer.from([1, 2, 3])),
  stuff: (n: number) => pull.values(Array.from({ length: n }, (_, i) => i + 1)),
  forever: () => {
    let i = 0
    return (abort: unknown, cb: Cb) => {
      if (abort) {
        js.foreverAborted = true
        return cb(abort)
      }
      setImmediate(() => cb(null, i++))
    }
  },
  take: () =>
    pull.collect((err: unknown, xs: unknown[]) => {
      if (!err) js.sunk = xs
    }),
  // echo: the source reads straight from the sink's input
  dup: () => {
    let input: PullSource | null = null
    return { sink: (read: PullSource) => (input = read), source: (abort: unknown, cb: Cb) => input!(abort, cb) }
  },
}

const ts = { sunk: [] as unknown[] }
const tsApi: Api = {
  manifest: () => manifest,
  hello: ([name]) => `hello ${String(name)} from ts`,
  fail: () => {
    throw new RpcError('TS_NO', 'ts says no', { expose: true })
  },
  bin: () => new Uint8Array([4, 5, 6]),
  stuff: ([n]) => Array.from({ length: n as number }, (_, i) => i + 1),
  forever: async function* (_a, call) {
    for (let i = 0; !call.signal.aborted; i++) {
      yield i
      await new Promise((r) => setImmediate(r))
    }
  },
  take: async (_a, _c, input) => {
    for await (const x of input) ts.sunk.push(x)
  },
  dup: (_a, _c, input) => input,
}

interface Setup {
  ours: RpcConnection
  theirs: any
  cleanup: () => Promise<void>
}

let current: Setup | null = null
afterEach(async () => {
  await current?.cleanup()
  current = null
})

/** Our connection on one end of a TCP socket pair, JS muxrpc 6 (legacy createStream API, as secret-stack uses) on the other. */
async function setup(jsRemote: unknown = { ...manifest, nope: 'async', nopeSource: 'source' }): Promise<Setup> {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const accepted = once(server, 'connection') as Promise<[net.Socket]>
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
  await once(socket, 'connect')
  const [jsSocket] = await accepted
  socket.setNoDelay(true)
  jsSocket.setNoDelay(true)
  const theirs = MRPC(jsRemote, manifest)(jsApi)
  const d = toPull.duplex(jsSocket)
  pull(d, theirs.createStream(), d)
  const ours = createRpc({ stream: socket, api: tsApi }, { manifest, context: { remoteId: '@js' } })
  current = {
    ours,
    theirs,
    cleanup: async () => {
      await ours.close(new Error('test over'))
      jsSocket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return current
}

describe(`interop with JS muxrpc ${muxrpcVersion}`, () => {
  test('is the 6.x line ssb-server 16 uses', () => {
    expect(muxrpcVersion).toMatch(/^6\./)
  })

  test('we call JS: async, binary, errors, source, sink, duplex, abort', async () => {
    const { ours } = await setup()
    expect(await ours.call('hello', ['ts'])).toBe('hello ts from js')
    expect(await ours.call('bin')).toEqual(new Uint8Array([1, 2, 3]))
    await expect(ours.call('fail')).rejects.toMatchObject({ code: 'RPC_REMOTE_ERROR', message: 'js says no' })
    await expect(ours.call('nope')).rejects.toMatchObject({ message: 'no async:nope' })
    const got: unknown[] = []
    for await (const x of ours.source('stuff', [3])) got.push(x)
    expect(got).toEqual([1, 2, 3])
    await ours.sink('take', [], ['a', { b: 1 }, new Uint8Array([9])])
    expect(js.sunk).toEqual(['a', { b: 1 }, Buffer.from([9])])
    let release!: () => void
    const allBack = new Promise<void>((r) => (release = r))
    async function* input() {
      yield 'x'
      yield 'y'
      await allBack
    }
    const echoed: unknown[] = []
    for await (const x of ours.duplex('dup', [], input())) if (echoed.push(x) === 2) release()
    expect(echoed).toEqual(['x', 'y'])
    for await (const x of ours.source('forever')) if (x === 3) break
    expect(await ours.call('hello', ['again'])).toBe('hello again from js')
    expect(js.foreverAborted).toBe(true)
  })

  test('JS calls us: async, error, source, sink, duplex; unknown methods named as JS would', async () => {
    const { theirs } = await setup()
    expect(await theirs.hello('js')).toBe('hello js from ts')
    expect(await theirs.bin()).toEqual(Buffer.from([4, 5, 6]))
    const err = await theirs.fail().catch((e: unknown) => e)
    expect(err).toMatchObject({ message: 'ts says no', name: 'RpcError', stack: 'RpcError: ts says no' })
    const collected = await new Promise((resolve, reject) =>
      pull(theirs.stuff(4), pull.collect((e: unknown, xs: unknown[]) => (e ? reject(e) : resolve(xs)))),
    )
    expect(collected).toEqual([1, 2, 3, 4])
    ts.sunk = []
    await new Promise<void>((resolve, reject) =>
      pull(pull.values(['p', 'q', Buffer.from([7])]), theirs.take((e: unknown) => (e ? reject(e) : resolve()))),
    )
    // JS's sink callback fires when it has sent its END; ours answers once our handler is done
    await theirs.hello('sync point')
    expect(ts.sunk).toEqual(['p', 'q', new Uint8Array([7])])
    const feed = manualSource()
    const echoed: unknown[] = []
    const d = theirs.dup()
    pull(feed.source, d.sink)
    feed.push('m')
    feed.push('n')
    await new Promise<void>((resolve) =>
      pull(
        d.source,
        pull.drain(
          (x: unknown) => {
            if (echoed.push(x) === 2) feed.end()
          },
          () => resolve(),
        ),
      ),
    )
    expect(echoed).toEqual(['m', 'n'])
    const seen: unknown[] = []
    await new Promise<void>((resolve) =>
      pull(theirs.forever(), pull.take(3), pull.drain((x: unknown) => void seen.push(x), () => resolve())),
    )
    expect(seen).toEqual([0, 1, 2])
    const noAsync = await theirs.nope().catch((e: unknown) => e)
    expect(noAsync).toMatchObject({ message: 'no async:nope', name: 'Error', stack: 'Error: no async:nope' })
    const noSource = await new Promise((resolve) => pull(theirs.nopeSource(), pull.collect((e: unknown) => resolve(e))))
    expect(noSource).toMatchObject({ message: 'no source:nopeSource' })
    expect(await theirs.hello('still here')).toBe('hello still here from ts')
  })

  test('ssb-client style bootstrap: JS asks for "manifest" by string name, then calls', async () => {
    const { ours } = await setup()
    void ours
    const server = net.createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const accepted = once(server, 'connection') as Promise<[net.Socket]>
    const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
    await once(socket, 'connect')
    const [theirSocket] = await accepted
    const conn = createRpc({ stream: theirSocket, api: tsApi }, { manifest, context: { remoteId: '@client' } })
    try {
      const { client, remoteManifest } = await new Promise<{ client: any; remoteManifest: unknown }>((resolve, reject) => {
        const client = MRPC((err: unknown, m: unknown) => (err ? reject(err) : resolve({ client, remoteManifest: m })), null)(null)
        const d = toPull.duplex(socket)
        pull(d, client.createStream(), d)
      })
      expect(remoteManifest).toEqual(manifest)
      expect(await client.hello('bootstrapped')).toBe('hello bootstrapped from ts')
      await new Promise<void>((resolve) => client.close(() => resolve()))
      expect(await conn.whenClosed()).toBeUndefined()
    } finally {
      await conn.close(new Error('test over'))
      socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  test('goodbye both ways: our close() and JS close() end cleanly', async () => {
    const a = await setup()
    expect(await a.ours.call('hello', ['x'])).toBe('hello x from js')
    const jsClosed = new Promise<void>((resolve) => a.theirs.once('closed', () => resolve()))
    await a.ours.close()
    await jsClosed
    expect(await a.ours.whenClosed()).toBeUndefined()
    await a.cleanup()
    const b = await setup()
    expect(await b.theirs.hello('y')).toBe('hello y from ts')
    await new Promise<void>((resolve) => b.theirs.close(() => resolve()))
    expect(await b.ours.whenClosed()).toBeUndefined()
  })
})

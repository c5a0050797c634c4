import type { BlobId } from '@ssb/keys'
import { afterEach, describe, expect, test } from 'vitest'
import { type BlobPeer, BlobsError, EMPTY_BLOB_ID } from '@ssb/blobs'
import { collect, idOf, listTmp, randomBytesOf, sameBytes } from './helpers.js'
import { connect, frames, makeNode, type Node, openFrames, peerOf, reader, wantsId } from './sync-helpers.js'

const nodes: Node[] = []
async function node(name: string, opts?: Parameters<typeof makeNode>[1]): Promise<Node> {
  const n = await makeNode(name, opts)
  nodes.push(n)
  return n
}

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()))
})

describe('two and three engines', () => {
  test('want on A, have on B: A fetches it from B', async () => {
    const [a, b] = [await node('a'), await node('b')]
    const bytes = randomBytesOf(300_000, 5)
    const { id } = await b.store.add(bytes)
    const link = connect(a, b)
    expect(await a.sync.want(id)).toBe(true)
    expect(sameBytes(await collect(a.store.get(id)), bytes)).toBe(true)
    expect(a.sync.wants()).toEqual({})
    link.disconnect()
    await link.ended
  })

  test('want first, blob added on B later: B announces it and A fetches', async () => {
    const [a, b] = [await node('a'), await node('b')]
    connect(a, b)
    const bytes = randomBytesOf(1000, 6)
    const wanted = a.sync.want(idOf(bytes))
    await b.store.add(bytes)
    expect(await wanted).toBe(true)
    expect(await a.store.has(idOf(bytes))).toBe(true)
  })

  test('hop forwarding A–B–C: the want travels two hops and the blob comes back', async () => {
    const [a, b, c] = [await node('a'), await node('b'), await node('c')]
    const bytes = randomBytesOf(70_000, 7)
    const { id } = await c.store.add(bytes)
    connect(a, b)
    connect(b, c)
    expect(await a.sync.want(id)).toBe(true)
    expect(sameBytes(await collect(a.store.get(id)), bytes)).toBe(true)
    expect(await b.store.has(id)).toBe(true) // the middle peer fetched it on A's behalf, as ssb-blobs does
  })

  test('want() resolves at once for a blob we have and for the empty blob', async () => {
    const a = await node('a')
    const { id } = await a.store.add(randomBytesOf(10))
    expect(await a.sync.want(id)).toBe(true)
    expect(await a.sync.want(EMPTY_BLOB_ID)).toBe(true)
    expect(a.sync.wants()).toEqual({})
  })

  test('a want can be aborted', async () => {
    const a = await node('a')
    const ac = new AbortController()
    const wanted = a.sync.want(idOf(randomBytesOf(10, 99)), { signal: ac.signal })
    ac.abort()
    await expect(wanted).rejects.toMatchObject({ name: 'BlobsError', code: 'BLOB_ABORTED' })
    await expect(a.sync.want('&bad.sha256')).rejects.toBeInstanceOf(BlobsError)
  })

  test('push: peers fetch a blob we advertise', async () => {
    const [a, b, c] = [await node('a'), await node('b'), await node('c')]
    const { id } = await a.store.add(randomBytesOf(5000, 8))
    const bGot = b.store.changes()[Symbol.asyncIterator]().next()
    const cGot = c.store.changes()[Symbol.asyncIterator]().next()
    connect(a, b)
    connect(a, c)
    await a.sync.push(id)
    expect((await bGot).value).toBe(id)
    expect((await cGot).value).toBe(id)
    await expect(a.sync.push(idOf(randomBytesOf(3, 3)))).rejects.toMatchObject({ code: 'BLOB_NOT_FOUND' })
  })
})

describe('one engine driven by hand', () => {
  const nowhere: BlobPeer = { get: () => frames() as AsyncIterable<Uint8Array> }

  test('createWants starts with the full want map, then answers wants with haves on the same stream', async () => {
    const b = await node('b')
    const have = await b.store.add(randomBytesOf(1234, 1))
    const wanted = idOf(randomBytesOf(10, 2))
    b.sync.want(wanted).catch(() => {})
    const peer = b.sync.addPeer('spy', nowhere)
    const read = reader(peer.createWants())
    expect(await read()).toEqual([{ [wanted]: -1 }])
    await peer.receiveWants(frames({ [have.id]: -1 }))
    expect(await read()).toEqual([{ [have.id]: 1234 }])
  })

  test('forwarded wants are recorded at n − 1 while |n − 1| ≤ sympathy, and broadcast to other peers', async () => {
    const b = await node('b')
    const readOther = reader(b.sync.addPeer('other', nowhere).createWants())
    expect(await readOther()).toEqual([{}]) // the full (empty) want map comes first
    const peer = b.sync.addPeer('p', nowhere)
    const [x, y, z] = [1, 2, 3].map((s) => idOf(randomBytesOf(8, s))) as [BlobId, BlobId, BlobId]
    const input = openFrames({ [x]: -1, [y]: -2, [z]: -3 }, new Uint8Array(3), 'junk', null)
    const receiving = peer.receiveWants(input.stream)
    await input.processed
    // z came in at -3: -4 is beyond sympathy 3, so it is neither recorded nor forwarded.
    expect(b.sync.wants()).toEqual({ [x]: -2, [y]: -3 })
    expect(await readOther(wantsId(y, -3))).toEqual([{ [x]: -2 }, { [y]: -3 }])
    // A closer want for the same blob lowers the hop count and is broadcast again.
    const peer2 = b.sync.addPeer('q', nowhere)
    const input2 = openFrames({ [y]: -1 })
    void peer2.receiveWants(input2.stream)
    await input2.processed
    expect(b.sync.wants()).toEqual({ [x]: -2, [y]: -2 })
    expect(await readOther()).toEqual([{ [y]: -2 }])
    // When the peers' streams end, the wants made on their behalf are dropped.
    input.end()
    input2.end()
    await receiving
    expect(b.sync.wants()).toEqual({})
  })

  test('per-peer cap on outstanding wants; wants of other peers still count', async () => {
    const b = await node('b', { maxWantsPerPeer: 5 })
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [idOf(randomBytesOf(8, i + 1)), -1]))
    const input = openFrames(many)
    void b.sync.addPeer('greedy', nowhere).receiveWants(input.stream)
    await input.processed
    expect(Object.keys(b.sync.wants()).length).toBe(5)
    const other = openFrames({ [idOf(randomBytesOf(8, 100))]: -1 })
    void b.sync.addPeer('other', nowhere).receiveWants(other.stream)
    await other.processed
    expect(Object.keys(b.sync.wants()).length).toBe(6)
  })

  test('a peer that sends the wrong bytes is reported, nothing is stored, another peer can serve it', async () => {
    const [a, good] = [await node('a'), await node('good')]
    const bytes = randomBytesOf(5000, 11)
    const id = idOf(bytes)
    await good.store.add(bytes)
    const liar: BlobPeer = {
      async *get() {
        yield randomBytesOf(5000, 12)
      },
    }
    const wanted = a.sync.want(id)
    void a.sync.addPeer('liar', liar).receiveWants(openFrames({ [id]: 5000 }).stream)
    const [peer, reason] = await a.onMisbehave
    expect(peer).toBe('liar')
    expect(reason).toMatch(/^BLOB_HASH_MISMATCH/)
    expect(await a.store.has(id)).toBe(false)
    expect(await listTmp(a.store.resolvePath(id).split('/sha256/')[0]!)).toEqual([])

    connect(a, good)
    expect(await wanted).toBe(true)
    expect(a.misbehaved).toHaveLength(1)
  })

  test('a peer that sends more than it announced, past maxSize, is reported', async () => {
    const a = await node('a', { maxSize: 1000 })
    const id = idOf(randomBytesOf(10, 31))
    a.sync.want(id).catch(() => {})
    const flood: BlobPeer = {
      async *get() {
        for (;;) yield new Uint8Array(300)
      },
    }
    void a.sync.addPeer('flood', flood).receiveWants(openFrames({ [id]: 10 }).stream)
    const [, reason] = await a.onMisbehave
    expect(reason).toMatch(/^BLOB_TOO_LARGE/)
  })

  test('a have larger than maxSize is ignored; exactly maxSize is fetched', async () => {
    const a = await node('a', { maxSize: 1000 })
    const big = idOf(randomBytesOf(1001, 1))
    const ok = randomBytesOf(1000, 2)
    const calls: string[] = []
    const peer = a.sync.addPeer('p', {
      async *get(id) {
        calls.push(id)
        yield ok
      },
    })
    a.sync.want(big).catch(() => {})
    const gotOk = a.sync.want(idOf(ok))
    const input = openFrames({ [big]: 1001, [idOf(ok)]: 1000 })
    void peer.receiveWants(input.stream)
    await input.processed
    expect(await gotOk).toBe(true)
    expect(calls).toEqual([idOf(ok)])
  })

  test('removing a stalled peer frees the want for another peer', async () => {
    const [a, good] = [await node('a'), await node('good')]
    const bytes = randomBytesOf(2000, 21)
    const id = idOf(bytes)
    await good.store.add(bytes)
    let started!: () => void
    const getStarted = new Promise<void>((r) => (started = r))
    const stalled = a.sync.addPeer('stalled', {
      async *get() {
        started()
        await new Promise(() => {})
      },
    })
    const wanted = a.sync.want(id)
    void stalled.receiveWants(openFrames({ [id]: 2000 }).stream)
    await getStarted
    stalled.remove()
    void a.sync.addPeer('good', peerOf(good)).receiveWants(openFrames({ [id]: 2000 }).stream)
    expect(await wanted).toBe(true)
    expect(await a.store.has(id)).toBe(true)
  })
})

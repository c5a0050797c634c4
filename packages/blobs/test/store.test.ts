import { createHash } from 'node:crypto'
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { BlobsError, type BlobStore, DEFAULT_MAX_BLOB_BYTES, EMPTY_BLOB_ID, openBlobStore } from '@ssb/blobs'
import { chunksOf, collect, deferred, drain, idOf, listBlobFiles, listTmp, makeTempDir, randomBytesOf, sameBytes } from './helpers.js'

let dir: string
let cleanup: () => Promise<void>
let store: BlobStore

beforeEach(async () => {
  ;({ dir, cleanup } = await makeTempDir())
  store = await openBlobStore({ dir })
})

afterEach(async () => {
  await store.close()
  await cleanup()
})

async function codeOf(p: Promise<unknown> | (() => Promise<unknown>)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (err) {
    expect(err).toBeInstanceOf(BlobsError)
    return (err as BlobsError).code
  }
  throw new Error('expected a BlobsError')
}

describe('add and read back', () => {
  test('stores in the multiblob layout sha256/<hh>/<62 hex> and reads back', async () => {
    const bytes = randomBytesOf(200_000, 7)
    const { id, size } = await store.add(chunksOf(bytes, 10_000))
    expect(id).toBe(idOf(bytes))
    expect(size).toBe(bytes.length)
    const hex = createHash('sha256').update(bytes).digest('hex')
    expect(await listBlobFiles(dir)).toEqual([`${hex.slice(0, 2)}/${hex.slice(2)}`])
    expect(store.resolvePath(id)).toBe(join(dir, 'sha256', hex.slice(0, 2), hex.slice(2)))
    expect(Buffer.from(await readFile(store.resolvePath(id))).equals(bytes)).toBe(true)
    expect(sameBytes(await collect(store.get(id)), bytes)).toBe(true)
    expect(await store.has(id)).toBe(true)
    expect(await store.size(id)).toBe(bytes.length)
    expect(await store.meta(id)).toMatchObject({ id, size: bytes.length })
    expect(await listTmp(dir)).toEqual([])
  })

  test('get yields chunks of at most 64 KiB', async () => {
    const bytes = randomBytesOf(3 * 65536 + 5)
    const { id } = await store.add(bytes)
    const sizes: number[] = []
    for await (const c of store.get(id)) sizes.push(c.length)
    expect(sizes).toEqual([65536, 65536, 65536, 5])
  })

  test('a large blob comes back in 64 KiB chunks across read buffers, byte for byte', async () => {
    const bytes = randomBytesOf(2 * 1024 * 1024 + 12345)
    const { id } = await store.add(chunksOf(bytes, 70_001))
    const sizes: number[] = []
    for await (const c of store.get(id)) sizes.push(c.length)
    expect(sizes.every((n) => n <= 65536)).toBe(true)
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(bytes.length)
    expect(sameBytes(await collect(store.get(id)), bytes)).toBe(true)
    expect(sameBytes(await collect(store.get(id, { start: 600_000, end: 1_700_000 })), bytes.subarray(600_000, 1_700_000))).toBe(true)
  })

  test('a source may reuse its buffer once it yields again: what was yielded is what is stored', async () => {
    const bytes = randomBytesOf(3 * 1024 * 1024 + 77)
    async function* reusing(size: number): AsyncGenerator<Uint8Array> {
      const buf = new Uint8Array(size)
      for (let at = 0; at < bytes.length; at += size) {
        const n = Math.min(size, bytes.length - at)
        buf.set(bytes.subarray(at, at + n))
        yield buf.subarray(0, n)
        buf.fill(0xee) // the store must have taken its copy by now
      }
    }
    for (const size of [1000, 65536, 300_000, 1024 * 1024]) {
      const { id } = await store.add(reusing(size))
      expect(id).toBe(idOf(bytes))
      expect(sameBytes(await collect(store.get(id)), bytes)).toBe(true)
      await store.rm(id)
    }
  })

  test('concurrent adds share the write buffers without mixing bytes, also after failed adds', async () => {
    // Each source yields a little at a time, so the adds interleave and hand buffers around.
    async function* trickle(bytes: Uint8Array, fail: boolean): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < bytes.length; at += 50_000) {
        await new Promise((r) => setImmediate(r))
        if (fail && at > bytes.length / 2) throw new Error('source failed')
        yield bytes.subarray(at, Math.min(at + 50_000, bytes.length))
      }
    }
    for (let round = 0; round < 3; round++) {
      const blobs = Array.from({ length: 6 }, (_, i) => randomBytesOf(700_000 + 99_999 * i, 100 * round + i))
      const results = await Promise.allSettled(blobs.map((b, i) => store.add(trickle(b, i % 3 === 1))))
      results.forEach((r, i) => expect(r.status).toBe(i % 3 === 1 ? 'rejected' : 'fulfilled'))
      for (const [i, b] of blobs.entries()) {
        if (i % 3 === 1) expect(await store.has(idOf(b))).toBe(false)
        else expect(sameBytes(await collect(store.get(idOf(b))), b)).toBe(true)
      }
    }
    expect(await listTmp(dir)).toEqual([])
  })

  test('the 256 sha256/<hh> folders exist from the start; one removed behind our back is made again', async () => {
    const { readdir, rm: remove } = await import('node:fs/promises')
    expect((await readdir(join(dir, 'sha256'))).length).toBe(256)
    const bytes = randomBytesOf(5000)
    const hh = Buffer.from(idOf(bytes).slice(1, 45), 'base64').toString('hex').slice(0, 2)
    await remove(join(dir, 'sha256', hh), { recursive: true })
    const { id } = await store.add(bytes)
    expect(sameBytes(await collect(store.get(id)), bytes)).toBe(true)
    expect(await listTmp(dir)).toEqual([])
  })

  test('a blob of exactly maxSize is accepted, maxSize + 1 refused and nothing is left', async () => {
    const small = await openBlobStore({ dir: join(dir, 'small'), maxSize: 1000 })
    expect((await small.add(randomBytesOf(1000))).size).toBe(1000)
    expect(await codeOf(small.add(chunksOf(randomBytesOf(1001, 3), 100)))).toBe('BLOB_TOO_LARGE')
    expect(small.stats().count).toBe(1)
    expect(await listTmp(join(dir, 'small'))).toEqual([])
    await small.close()
    expect(DEFAULT_MAX_BLOB_BYTES).toBe(5 * 1024 * 1024)
  })

  test('BLOB_TOO_LARGE as soon as the limit is crossed: an endless source is stopped', async () => {
    let pulled = 0
    let stopped = false
    async function* endless(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          pulled++
          yield new Uint8Array(64 * 1024)
        }
      } finally {
        stopped = true
      }
    }
    expect(await codeOf(store.add(endless()))).toBe('BLOB_TOO_LARGE')
    expect(pulled).toBe(DEFAULT_MAX_BLOB_BYTES / (64 * 1024) + 1)
    expect(stopped).toBe(true)
    expect(await listTmp(dir)).toEqual([])
  })

  test('a local add may go over the default limit only when the caller raises maxSize', async () => {
    const bytes = new Uint8Array(DEFAULT_MAX_BLOB_BYTES + 1)
    expect(await codeOf(store.add(bytes))).toBe('BLOB_TOO_LARGE')
    const { size } = await store.add(bytes, { maxSize: Infinity })
    expect(size).toBe(bytes.length)
  })

  test('expectedId mismatch is refused and nothing becomes visible', async () => {
    const bytes = randomBytesOf(5000)
    const other = idOf(randomBytesOf(10, 2))
    expect(await codeOf(store.add(bytes, { expectedId: other }))).toBe('BLOB_HASH_MISMATCH')
    expect(await store.has(idOf(bytes))).toBe(false)
    expect(await store.has(other)).toBe(false)
    expect(await listBlobFiles(dir)).toEqual([])
    expect(await listTmp(dir)).toEqual([])
    expect((await store.add(bytes, { expectedId: idOf(bytes) })).id).toBe(idOf(bytes))
  })

  test('aborting a stalled source mid-way leaves no visible blob and no temporary file', async () => {
    const ac = new AbortController()
    const firstChunkWritten = deferred()
    async function* stalls(): AsyncGenerator<Uint8Array> {
      yield randomBytesOf(100_000)
      firstChunkWritten.resolve()
      await new Promise(() => {}) // a peer that stops sending
    }
    const adding = store.add(stalls(), { signal: ac.signal })
    await firstChunkWritten.promise
    expect((await listTmp(dir)).length).toBe(1) // being written, but only in tmp/
    ac.abort()
    expect(await codeOf(adding)).toBe('BLOB_ABORTED')
    expect(await listTmp(dir)).toEqual([])
    expect(await listBlobFiles(dir)).toEqual([])
    expect(store.stats()).toEqual({ count: 0, totalBytes: 0 })
  })

  test('a source that fails mid-way leaves nothing', async () => {
    async function* fails(): AsyncGenerator<Uint8Array> {
      yield randomBytesOf(1000)
      throw new Error('connection reset')
    }
    await expect(store.add(fails())).rejects.toThrow('connection reset')
    expect(await listTmp(dir)).toEqual([])
    expect(await listBlobFiles(dir)).toEqual([])
  })

  test('bad arguments', async () => {
    expect(await codeOf(store.add('text' as unknown as Uint8Array))).toBe('BLOB_INVALID_ARGUMENT')
    expect(await codeOf(store.add([new Uint8Array(1), 'x' as unknown as Uint8Array]))).toBe('BLOB_INVALID_ARGUMENT')
    expect(await codeOf(store.add(new Uint8Array(1), { expectedId: '&nope.sha256' }))).toBe('BLOB_INVALID_ID')
    expect(await codeOf(store.add(new Uint8Array(1), { maxSize: -1 }))).toBe('BLOB_INVALID_ARGUMENT')
    expect(await codeOf(store.has('%notablob.sha256'))).toBe('BLOB_INVALID_ID')
    expect(await codeOf(collect(store.get(idOf(new Uint8Array([1])))))).toBe('BLOB_NOT_FOUND')
    expect(await listTmp(dir)).toEqual([])
  })
})

describe('get ranges and checks', () => {
  test('start/end select [start, end), clamped to the size', async () => {
    const bytes = randomBytesOf(150_000, 9)
    const { id } = await store.add(bytes)
    for (const [start, end] of [[0, 1], [10, 20], [65535, 65537], [100_000, 150_000], [149_999, 200_000], [0, 150_000], [5, 5], [9, 3]]) {
      expect(sameBytes(await collect(store.get(id, { start, end })), bytes.slice(start, end))).toBe(true)
    }
    expect(sameBytes(await collect(store.get(id, { start: 140_000 })), bytes.slice(140_000))).toBe(true)
    expect(await codeOf(collect(store.get(id, { start: -1 })))).toBe('BLOB_INVALID_ARGUMENT')
  })

  test('size and max as blobs.get checks them', async () => {
    const { id } = await store.add(randomBytesOf(1000))
    expect((await collect(store.get(id, { size: 1000, max: 1000 }))).length).toBe(1000)
    expect(await codeOf(collect(store.get(id, { size: 999 })))).toBe('BLOB_SIZE_MISMATCH')
    expect(await codeOf(collect(store.get(id, { max: 999 })))).toBe('BLOB_TOO_LARGE')
  })

  test('aborting a get mid-way throws BLOB_ABORTED rather than ending as if complete', async () => {
    const { id } = await store.add(randomBytesOf(4 * 65536, 12))
    const ac = new AbortController()
    let chunks = 0
    const reading = (async () => {
      for await (const _ of store.get(id, { signal: ac.signal })) {
        if (++chunks === 2) ac.abort()
      }
    })()
    expect(await codeOf(reading)).toBe('BLOB_ABORTED')
    expect(chunks).toBe(2)
  })

  test('the empty blob always exists, as in multiblob', async () => {
    expect(await store.has(EMPTY_BLOB_ID)).toBe(true)
    expect(await store.size(EMPTY_BLOB_ID)).toBe(0)
    expect(sameBytes(await collect(store.get(EMPTY_BLOB_ID)), new Uint8Array(0))).toBe(true)
    expect((await store.add(new Uint8Array(0))).id).toBe(EMPTY_BLOB_ID)
  })
})

describe('ls, changes, rm and restart', () => {
  test('ls old then live; changes sees new ids; rm removes', async () => {
    const a = await store.add(randomBytesOf(10, 1))
    const ac = new AbortController()
    const live = store.ls({ live: true, signal: ac.signal })
    const changes = store.changes({ signal: ac.signal })
    const b = await store.add(randomBytesOf(10, 2))
    await store.add(randomBytesOf(10, 1)) // already stored: not announced again
    const c = await store.add(randomBytesOf(10, 3))
    expect((await drain(live, 3)).map((m) => m.id)).toEqual([a.id, b.id, c.id])
    expect(await drain(changes, 2)).toEqual([b.id, c.id])
    expect((await drain(store.ls({ old: true }), 10)).map((m) => m.id).sort()).toEqual([a.id, b.id, c.id].sort())
    ac.abort()

    await store.rm(b.id)
    expect(await store.has(b.id)).toBe(false)
    expect(await store.size(b.id)).toBeNull()
    expect(await codeOf(collect(store.get(b.id)))).toBe('BLOB_NOT_FOUND')
    await store.rm(b.id) // idempotent
    expect(store.stats()).toEqual({ count: 2, totalBytes: 20 })
  })

  test('aborting a live ls ends it quietly', async () => {
    const ac = new AbortController()
    const live = store.ls({ old: false, live: true, signal: ac.signal })
    const done = drain(live, 1)
    ac.abort()
    expect(await done).toEqual([])
  })

  test('reopen: blobs are found again and stale temporary files are deleted', async () => {
    const { id } = await store.add(randomBytesOf(3000, 4))
    await store.close()
    await writeFile(join(dir, 'tmp', '123-stale'), 'half a blob')
    await mkdir(join(dir, 'sha256', 'zz'), { recursive: true }) // not a blob folder: ignored
    store = await openBlobStore({ dir })
    expect(await listTmp(dir)).toEqual([])
    expect(await store.size(id)).toBe(3000)
    expect(store.stats()).toEqual({ count: 1, totalBytes: 3000 })
    expect(await codeOf(store.has(id).then(() => store.close()).then(() => store.has(id)))).toBe('BLOB_CLOSED')
  })
})

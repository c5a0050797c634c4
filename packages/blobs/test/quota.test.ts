import type { BlobId } from '@ssb/keys'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { type BlobStore, openBlobStore } from '@ssb/blobs'
import { collect, makeTempDir, randomBytesOf } from './helpers.js'

let dir: string
let cleanup: () => Promise<void>
const pinned = new Set<BlobId>()
let store: BlobStore

beforeEach(async () => {
  ;({ dir, cleanup } = await makeTempDir())
  pinned.clear()
})

afterEach(async () => {
  await store.close()
  await cleanup()
})

const blob = (seed: number, size = 1000): Uint8Array => randomBytesOf(size, seed)

test('evicts least recently used unpinned blobs, never the one just added', async () => {
  store = await openBlobStore({ dir, quotaBytes: 3000, isPinned: async (id) => pinned.has(id) })
  const a = await store.add(blob(1))
  const b = await store.add(blob(2))
  const c = await store.add(blob(3))
  pinned.add(b.id)
  expect(store.stats()).toEqual({ count: 3, totalBytes: 3000 }) // at the quota: nothing evicted
  await collect(store.get(a.id)) // a is now the most recently used

  const d = await store.add(blob(4))
  expect(await store.has(c.id)).toBe(false) // LRU and unpinned
  expect(await Promise.all([a, b, d].map((x) => store.has(x.id)))).toEqual([true, true, true])

  const e = await store.add(blob(5))
  expect(await store.has(a.id)).toBe(false) // b is older but pinned
  expect(store.stats()).toEqual({ count: 3, totalBytes: 3000 })

  const f = await store.add(blob(6, 2500))
  // d and e go; b (pinned) and f (just added) stay even though that is over the quota.
  expect(await Promise.all([b, d, e, f].map((x) => store.has(x.id)))).toEqual([true, false, false, true])
  expect(store.stats()).toEqual({ count: 2, totalBytes: 3500 })
})

test('no quota by default: nothing is evicted', async () => {
  store = await openBlobStore({ dir })
  for (let i = 0; i < 5; i++) await store.add(blob(i + 1, 100_000))
  expect(store.stats().count).toBe(5)
})

test('access order persisted in file atimes survives a restart', async () => {
  store = await openBlobStore({ dir, atimeWriteIntervalMs: 0 })
  const ids = [] as BlobId[]
  for (let i = 1; i <= 4; i++) ids.push((await store.add(blob(i))).id)
  for (const id of [ids[2]!, ids[0]!, ids[3]!, ids[1]!]) await collect(store.get(id)) // use order: 2, 0, 3, 1
  await store.close()

  store = await openBlobStore({ dir, quotaBytes: 4000 })
  await store.add(blob(9, 2000)) // 2000 over: the two least recently used go
  expect(await Promise.all(ids.map((id) => store.has(id)))).toEqual([false, true, false, true])
})

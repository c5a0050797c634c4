import { expect, test } from 'vitest'
import { openLog } from '@ssb/log'
import { ReadSlicer } from '../src/read-slicer.js'
import { recordFor, tempDir, track } from './helpers.js'

const busy = (ms: number): void => {
  const until = performance.now() + ms
  while (performance.now() < until);
}

test('synchronous reads for one slice per event-loop turn, then not until the loop turned', async () => {
  // A slice long enough that a busy CI machine cannot preempt us past it between two calls.
  const slicer = new ReadSlicer(100)
  expect(slicer.allowSync()).toBe(true)
  expect(slicer.allowSync()).toBe(true)
  busy(110)
  expect(slicer.allowSync()).toBe(false) // the slice is spent: the next read must let the loop turn
  await new Promise((r) => setImmediate(r))
  expect(slicer.allowSync()).toBe(true)
  expect(new ReadSlicer(0).allowSync()).toBe(false)
})

test('get() returns the same records with synchronous reads and through the thread pool', async () => {
  const records = Array.from({ length: 3000 }, (_, i) => recordFor(i, 100 + ((i * 977) % 9000)))
  for (const syncReadMs of [0, 2, 1000]) {
    const log = track(await openLog({ dir: await tempDir(), syncReadMs, cacheBytes: 64 * 1024 }))
    const offsets = await log.appendBatch(records)
    const order = offsets.map((_, i) => (i * 7919) % offsets.length) // scattered: mostly cache misses
    let wrong = 0
    for (const i of order) if (Buffer.compare((await log.get(offsets[i]!))!, records[i]!) !== 0) wrong++
    expect(wrong).toBe(0)
    await log.close()
  }
})

test('concurrent get()s through a tiny cache, sync and async reads mixed: block memory reused, every record intact', async () => {
  const records = Array.from({ length: 4000 }, (_, i) => recordFor(i, 50 + ((i * 7919) % 6000)))
  const log = track(await openLog({ dir: await tempDir(), syncReadMs: 0.05, cacheBytes: 2 * 4096 }))
  const offsets = await log.appendBatch(records)
  // With buffers reused at once (no wait for the loop to turn) this fails about one run in three.
  for (let round = 0; round < 4; round++) {
    let next = 0
    let wrong = 0
    const order = offsets.map((_, i) => (i * 104729 + round) % offsets.length)
    const worker = async (): Promise<void> => {
      while (next < order.length) {
        const i = order[next++]!
        if (Buffer.compare((await log.get(offsets[i]!))!, records[i]!) !== 0) wrong++
      }
    }
    await Promise.all(Array.from({ length: 8 }, worker))
    expect(wrong).toBe(0)
  }
})

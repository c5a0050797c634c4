import { join } from 'node:path'
import { open } from 'node:fs/promises'
import { describe, expect, test } from 'vitest'
import { openLog } from '@ssb/log'
import { collect, expectCode, recordFor, tempDir, track } from './helpers.js'

const HEADER = 64

/** Sizes that mix short records, ones longer than a span's read-ahead, and gaps over 32 KiB. */
const sizeOf = (i: number): number => (i % 17 === 0 ? 20_000 : i % 29 === 0 ? 70_000 : 20 + ((i * 37) % 900))

async function filled(n: number, opts: { sync?: 'always' | 'none' } = {}) {
  const dir = await tempDir()
  const log = track(await openLog({ dir, ...opts }))
  const offsets = await log.appendBatch(Array.from({ length: n }, (_, i) => recordFor(i, sizeOf(i))))
  return { dir, log, offsets }
}

/** Whether `v` holds record i (Buffer#equals: expect().toEqual is slow on large typed arrays). */
const holds = (v: Uint8Array | null, i: number): boolean => v !== null && Buffer.from(recordFor(i, sizeOf(i))).equals(v)

/** A deterministic shuffle with repeats: indexes into `offsets`. */
function pick(n: number, count: number, seed: number): number[] {
  let x = seed
  return Array.from({ length: count }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31
    return x % n
  })
}

describe('readMany', () => {
  test('any order, repeats, near and far records: the same bytes as get(), in the order asked', async () => {
    const { log, offsets } = await filled(400)
    for (const seed of [1, 2, 3]) {
      const idx = pick(offsets.length, 300, seed)
      const got = await log.readMany(idx.map((i) => offsets[i]!))
      expect(got.every((v, k) => holds(v, idx[k]!))).toBe(true)
    }
    const all = await log.readMany(offsets)
    expect(all.every(holds)).toBe(true)
    const back = await log.readMany([...offsets].reverse())
    expect(back.every((v, k) => holds(v, offsets.length - 1 - k))).toBe(true)
    expect(await log.readMany([])).toEqual([])
  })

  test('decode sees each payload once per slot, with its offset; default results own their bytes', async () => {
    const { log, offsets } = await filled(50)
    const seen: number[] = []
    const got = await log.readMany([offsets[3]!, offsets[3]!, offsets[4]!], (payload, offset) => {
      seen.push(offset)
      return new DataView(payload.buffer, payload.byteOffset).getUint32(0)
    })
    expect(got).toEqual([3, 3, 4])
    expect(seen.sort()).toEqual([offsets[3], offsets[3], offsets[4]].sort())
    const copies = await log.readMany(offsets.slice(0, 10))
    const again = await log.readMany(offsets.slice(10, 20)) // reuses the read buffer
    expect(copies.every(holds)).toBe(true)
    expect(again.every((v, i) => holds(v, 10 + i))).toBe(true)
    expect(new Set(copies.map((c) => c!.buffer)).size).toBe(copies.length)
  })

  test('erased records are null; works on records still queued with sync none', async () => {
    const { log, offsets } = await filled(100, { sync: 'none' })
    for (let i = 0; i < 100; i += 3) await log.erase(offsets[i]!)
    const more = await log.appendBatch([recordFor(1000), recordFor(1001)])
    const got = await log.readMany([...offsets, ...more])
    expect(got.slice(0, 100).every((v, i) => (i % 3 === 0 ? v === null : holds(v, i)))).toBe(true)
    expect(got.slice(100)).toEqual([recordFor(1000), recordFor(1001)])
  })

  test('an offset that names no record is LOG_BAD_OFFSET, even inside a span', async () => {
    const { log, offsets } = await filled(20)
    await expectCode(log.readMany([offsets[1]!, offsets[2]! + 1, offsets[3]!]), 'LOG_BAD_OFFSET')
    await expectCode(log.readMany([offsets[1]!, log.end]), 'LOG_BAD_OFFSET')
    await expectCode(log.readMany([-1]), 'LOG_BAD_OFFSET')
    await expectCode(log.readMany([0.5]), 'LOG_BAD_OFFSET')
  })

  test('a damaged payload inside a span is LOG_CORRUPT, never served', async () => {
    const { dir, log, offsets } = await filled(20)
    await log.close()
    const fh = await open(join(dir, 'log.data'), 'r+')
    const b = Buffer.alloc(1)
    const at = HEADER + offsets[5]! + 12 + 10
    await fh.read(b, 0, 1, at)
    b[0] = b[0]! ^ 0x5a
    await fh.write(b, 0, 1, at)
    await fh.close()
    const again = track(await openLog({ dir }))
    await expectCode(again.readMany(offsets.slice(2, 9)), 'LOG_CORRUPT')
    const fine = await again.readMany([...offsets.slice(0, 5), ...offsets.slice(6)])
    expect(fine.length).toBe(19)
  })

  test('reads racing erases see either the record or null, never an error', async () => {
    const { log, offsets } = await filled(300)
    const reads = (async () => {
      for (let round = 0; round < 10; round++) {
        const got = await log.readMany(offsets)
        expect(got.every((v, i) => v === null || holds(v, i))).toBe(true)
      }
    })()
    for (let i = 0; i < 300; i += 2) await log.erase(offsets[i]!)
    await reads
    expect((await log.readMany(offsets)).filter((v) => v === null).length).toBe(150)
  })

  test('after close it is LOG_CLOSED', async () => {
    const { log, offsets } = await filled(5)
    await log.close()
    await expectCode(log.readMany(offsets), 'LOG_CLOSED')
  })
})

describe('stream borrow', () => {
  test('borrowed values hold the same bytes as copies while current, both directions', async () => {
    const { log, offsets } = await filled(300)
    for (const reverse of [false, true]) {
      const copies = await collect(log.stream({ reverse }))
      let k = 0
      for await (const e of log.stream({ reverse, borrow: true })) {
        expect(e.offset).toBe(copies[k]!.offset)
        expect(Buffer.from(e.value).equals(Buffer.from(copies[k]!.value))).toBe(true)
        k++
      }
      expect(k).toBe(offsets.length)
    }
  })
})

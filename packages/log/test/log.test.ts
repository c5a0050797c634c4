import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { LogError, MAX_RECORD_BYTES, openLog } from '@ssb/log'
import { collect, dec, enc, expectCode, recordFor, tempDir, track } from './helpers.js'

describe('append / get', () => {
  test('README example: append, get, stream, reopen', async () => {
    const dir = await tempDir()
    const log = await openLog({ dir }) // takes an exclusive lock on the directory
    const offset = await log.append(new TextEncoder().encode('hello')) // resolves once fsynced
    expect(new TextDecoder().decode((await log.get(offset))!)).toBe('hello')
    const offsets: number[] = []
    for await (const entry of log.stream()) offsets.push(entry.offset)
    expect(offsets).toEqual([0])
    await log.close()
    const again = await openLog({ dir })
    expect(again.count).toBe(1)
    await again.close()
  })

  test('offsets grow by payload + 16 bytes of framing, end and count follow', async () => {
    const log = track(await openLog({ dir: await tempDir() }))
    expect([log.end, log.count, log.start, log.generation]).toEqual([0, 0, 0, 0])
    const a = await log.append(enc('hello'))
    const b = await log.append(new Uint8Array(0))
    const c = await log.append(enc('x'))
    expect([a, b, c]).toEqual([0, 21, 37])
    expect(log.end).toBe(54)
    expect(log.count).toBe(3)
    expect(dec((await log.get(a))!)).toBe('hello')
    expect(await log.get(b)).toEqual(new Uint8Array(0))
    expect(dec((await log.get(c))!)).toBe('x')
  })

  test('get returns a plain Uint8Array that owns its bytes', async () => {
    const log = track(await openLog({ dir: await tempDir() }))
    const off = await log.append(enc('abc'))
    const v = (await log.get(off))!
    expect(Object.getPrototypeOf(v)).toBe(Uint8Array.prototype)
    expect(v.byteLength).toBe(3)
    v[0] = 0
    expect(dec((await log.get(off))!)).toBe('abc')
  })

  test('appendBatch returns ordered offsets; an empty batch is a no-op', async () => {
    const log = track(await openLog({ dir: await tempDir() }))
    const records = Array.from({ length: 50 }, (_, i) => recordFor(i))
    const offsets = await log.appendBatch(records)
    expect(offsets).toHaveLength(50)
    for (let i = 1; i < 50; i++) expect(offsets[i]!).toBe(offsets[i - 1]! + records[i - 1]!.length + 16)
    for (let i = 0; i < 50; i++) expect(await log.get(offsets[i]!)).toEqual(records[i])
    expect(await log.appendBatch([])).toEqual([])
    expect(log.count).toBe(50)
  })

  test('concurrent appends keep call order and all resolve', async () => {
    const log = track(await openLog({ dir: await tempDir() }))
    const offsets = await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(recordFor(i, 10))))
    const sorted = [...offsets].sort((x, y) => x - y)
    expect(offsets).toEqual(sorted)
    const entries = await collect(log.stream())
    expect(entries.map((e) => new DataView(e.value.buffer, e.value.byteOffset).getUint32(0))).toEqual(
      Array.from({ length: 200 }, (_, i) => i),
    )
  })

  test('records larger than MAX_RECORD_BYTES are refused before anything is written', async () => {
    const log = track(await openLog({ dir: await tempDir() }))
    await expectCode(log.append(new Uint8Array(MAX_RECORD_BYTES + 1)), 'LOG_TOO_LARGE')
    await expectCode(log.appendBatch([enc('ok'), new Uint8Array(MAX_RECORD_BYTES + 1)]), 'LOG_TOO_LARGE')
    expect(log.end).toBe(0)
  })

  test('a large record (4 MiB) round-trips through get and stream', async () => {
    const log = track(await openLog({ dir: await tempDir() }))
    const big = recordFor(7, 4 * 1024 * 1024)
    await log.append(enc('before'))
    const off = await log.append(big)
    await log.append(enc('after'))
    const same = (v: Uint8Array | null | undefined) => v != null && Buffer.compare(v, big) === 0
    expect(same(await log.get(off))).toBe(true)
    expect(same((await collect(log.stream()))[1]?.value)).toBe(true)
    expect(same((await collect(log.stream({ reverse: true })))[1]?.value)).toBe(true)
  })

  test('non-Uint8Array input is LOG_INVALID_ARGUMENT', async () => {
    const log = track(await openLog({ dir: await tempDir() }))
    await expectCode(log.append('text' as unknown as Uint8Array), 'LOG_INVALID_ARGUMENT')
    await expectCode(log.appendBatch('x' as unknown as Uint8Array[]), 'LOG_INVALID_ARGUMENT')
    await expectCode(openLog({ dir: '' }), 'LOG_INVALID_ARGUMENT')
    await expectCode(openLog({ dir: await tempDir(), sync: 'sometimes' as 'none' }), 'LOG_INVALID_ARGUMENT')
  })

  test('get of an offset where no record starts is LOG_BAD_OFFSET', async () => {
    const log = track(await openLog({ dir: await tempDir() }))
    const a = await log.append(enc('hello world, this is a record'))
    await log.append(enc('second'))
    for (const bad of [-1, 1, a + 5, a + 12, log.end, log.end + 100, 0.5, Number.NaN]) {
      await expectCode(log.get(bad), 'LOG_BAD_OFFSET')
    }
    const err = await log.get(3).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LogError)
    expect((err as LogError).offset).toBe(3)
  })

  test('get works the same with the block cache off (cacheBytes: 0) and with a tiny one', async () => {
    for (const cacheBytes of [0, 32 * 1024]) {
      const log = track(await openLog({ dir: await tempDir(), cacheBytes }))
      const records = Array.from({ length: 200 }, (_, i) => recordFor(i, 10 + ((i * 7919) % 40_000)))
      const offsets = await log.appendBatch(records)
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 200; i += 1 + round) expect(Buffer.compare((await log.get(offsets[i]!))!, records[i]!)).toBe(0)
      }
    }
  })

  test('Buffer input is accepted and stored by value', async () => {
    const log = track(await openLog({ dir: await tempDir() }))
    const b = Buffer.from('buffer!')
    const off = await log.append(b)
    b.fill(0)
    expect(dec((await log.get(off))!)).toBe('buffer!')
  })
})

describe('sync policy', () => {
  test("sync 'none': append resolves at once, reads see queued records, close makes them durable", async () => {
    const dir = await tempDir()
    const log = await openLog({ dir, sync: 'none' })
    const offsets: number[] = []
    for (let i = 0; i < 3000; i++) offsets.push(await log.append(recordFor(i)))
    expect(log.count).toBe(3000)
    expect(await log.get(offsets[2999]!)).toEqual(recordFor(2999))
    expect((await collect(log.stream({ gte: offsets[2990]! }))).length).toBe(10)
    const end = log.end
    await log.close()
    const again = track(await openLog({ dir }))
    expect(again.end).toBe(end)
    expect(again.count).toBe(3000)
    expect(again.recovery).toBeNull()
  })

  test("flush() writes and fsyncs queued records with sync 'none'", async () => {
    const dir = await tempDir()
    const log = track(await openLog({ dir, sync: 'none' }))
    await log.appendBatch([enc('a'), enc('b')])
    await log.flush()
    expect((await stat(join(dir, 'log.data'))).size).toBe(64 + 2 * 17)
  })

  test("sync 'always' (default): the bytes are in the file when append resolves", async () => {
    const dir = await tempDir()
    const log = track(await openLog({ dir }))
    await log.append(enc('abc'))
    expect((await stat(join(dir, 'log.data'))).size).toBe(64 + 19)
    await Promise.all([log.append(enc('1')), log.append(enc('2')), log.appendBatch([enc('3'), enc('4')])])
    expect((await stat(join(dir, 'log.data'))).size).toBe(64 + 19 + 4 * 17)
  })
})

describe('erase', () => {
  test('erase zeroes the record on disk, get returns null, stream skips it, count drops', async () => {
    const dir = await tempDir()
    const log = track(await openLog({ dir }))
    const secret = enc('very secret payload')
    const [a, b, c] = await log.appendBatch([enc('keep-1'), secret, enc('keep-2')])
    await log.erase(b!)
    expect(await log.get(b!)).toBeNull()
    expect(log.count).toBe(2)
    expect((await collect(log.stream())).map((e) => e.offset)).toEqual([a, c])
    expect((await collect(log.stream({ reverse: true }))).map((e) => e.offset)).toEqual([c, a])
    const { readFile } = await import('node:fs/promises')
    const raw = await readFile(join(dir, 'log.data'))
    expect(raw.includes(Buffer.from(secret))).toBe(false)
    expect(raw.includes(Buffer.from('keep-2'))).toBe(true)
  })

  test('erase is idempotent, durable across reopen, and counted after reopen', async () => {
    const dir = await tempDir()
    let log = await openLog({ dir })
    const offsets = await log.appendBatch([enc('a'), enc('b'), enc('c')])
    await log.erase(offsets[1]!)
    await log.erase(offsets[1]!)
    expect(log.count).toBe(2)
    await log.close()
    log = track(await openLog({ dir }))
    expect(log.count).toBe(2)
    expect(await log.get(offsets[1]!)).toBeNull()
  })

  test('erase of a bad offset is LOG_BAD_OFFSET', async () => {
    const log = track(await openLog({ dir: await tempDir() }))
    const a = await log.append(enc('abcdef'))
    await expectCode(log.erase(a + 1), 'LOG_BAD_OFFSET')
    await expectCode(log.erase(log.end), 'LOG_BAD_OFFSET')
    expect(await log.get(a)).toEqual(enc('abcdef'))
  })

  test("erase works on records still queued with sync 'none'", async () => {
    const log = track(await openLog({ dir: await tempDir(), sync: 'none' }))
    const a = await log.append(enc('queued'))
    await log.erase(a)
    expect(await log.get(a)).toBeNull()
    expect(log.count).toBe(0)
  })

  test('get after erase never serves the old bytes from the cache', async () => {
    const log = track(await openLog({ dir: await tempDir() }))
    const offsets = await log.appendBatch(Array.from({ length: 100 }, (_, i) => recordFor(i)))
    for (const o of offsets) await log.get(o)
    for (let i = 0; i < 100; i += 3) await log.erase(offsets[i]!)
    for (let i = 0; i < 100; i++) expect(await log.get(offsets[i]!)).toEqual(i % 3 === 0 ? null : recordFor(i))
  })

  test('reads racing erases see either the record or null, never an error', async () => {
    const log = track(await openLog({ dir: await tempDir() }))
    const offsets = await log.appendBatch(Array.from({ length: 300 }, (_, i) => recordFor(i, 2000)))
    const reads = (async () => {
      for (let round = 0; round < 5; round++) {
        for (const o of offsets) {
          const v = await log.get(o)
          if (v !== null) expect(v.length).toBe(2000)
        }
        await collect(log.stream())
      }
    })()
    for (let i = 0; i < 300; i += 2) await log.erase(offsets[i]!)
    await reads
    expect(log.count).toBe(150)
  })
})

describe('compact', () => {
  test('drops erased records, bumps generation (persisted), reports progress, offsets change', async () => {
    const dir = await tempDir()
    let log = await openLog({ dir })
    const offsets = await log.appendBatch(Array.from({ length: 20 }, (_, i) => recordFor(i)))
    for (let i = 0; i < 20; i += 2) await log.erase(offsets[i]!)
    const endBefore = log.end
    const progress: { done: number; total: number }[] = []
    await log.compact({ onProgress: (p) => progress.push(p) })
    expect(log.generation).toBe(1)
    expect(log.count).toBe(10)
    expect(log.end).toBeLessThan(endBefore)
    expect(progress.at(-1)).toEqual({ done: 20, total: 20 })
    const values = (await collect(log.stream())).map((e) => e.value)
    expect(values).toEqual(Array.from({ length: 10 }, (_, i) => recordFor(2 * i + 1)))
    await log.close()
    log = track(await openLog({ dir }))
    expect(log.generation).toBe(1)
    expect(log.count).toBe(10)
    expect(log.recovery).toBeNull()
    expect((await collect(log.stream())).map((e) => e.value)).toEqual(values)
    expect((await readdir(dir)).sort()).toEqual(['log.checkpoint', 'log.data', 'log.lock'])
  })

  test('appends made during compaction wait and land in the new generation', async () => {
    const log = track(await openLog({ dir: await tempDir() }))
    const offsets = await log.appendBatch(Array.from({ length: 2000 }, (_, i) => recordFor(i)))
    await log.erase(offsets[0]!)
    const compaction = log.compact()
    const late = await Promise.all([log.append(enc('late-1')), log.append(enc('late-2'))])
    await compaction
    expect(log.generation).toBe(1)
    expect(dec((await log.get(late[0]!))!)).toBe('late-1')
    expect(dec((await log.get(late[1]!))!)).toBe('late-2')
    const all = await collect(log.stream())
    expect(all).toHaveLength(2001)
    expect(dec(all.at(-1)!.value)).toBe('late-2')
  })

  test('abort leaves the log unchanged (LOG_ABORTED)', async () => {
    const dir = await tempDir()
    const log = track(await openLog({ dir }))
    const offsets = await log.appendBatch(Array.from({ length: 5000 }, (_, i) => recordFor(i, 400)))
    await log.erase(offsets[1]!)
    const ac = new AbortController()
    await expectCode(log.compact({ signal: ac.signal, onProgress: () => ac.abort() }), 'LOG_ABORTED')
    expect(log.generation).toBe(0)
    expect(log.count).toBe(4999)
    expect(await log.get(offsets[2]!)).toEqual(recordFor(2, 400))
    expect(await readdir(dir)).not.toContain('log.data.compacting')
    const pre = new AbortController()
    pre.abort()
    await expectCode(log.compact({ signal: pre.signal }), 'LOG_ABORTED')
    await log.append(enc('still writable'))
    expect(log.count).toBe(5000)
  })

  test('erase with an offset from before a compaction is refused', async () => {
    const log = track(await openLog({ dir: await tempDir() }))
    const offsets = await log.appendBatch(Array.from({ length: 500 }, (_, i) => recordFor(i)))
    await log.erase(offsets[0]!)
    const compaction = log.compact()
    const late = log.erase(offsets[5]!)
    await compaction
    await expectCode(late, 'LOG_COMPACTED')
  })

  test('compacting an empty log and a log without tombstones works', async () => {
    const log = track(await openLog({ dir: await tempDir() }))
    await log.compact()
    expect([log.generation, log.end, log.count]).toEqual([1, 0, 0])
    await log.appendBatch([enc('a'), enc('b')])
    await log.compact()
    expect([log.generation, log.count]).toEqual([2, 2])
    expect((await collect(log.stream())).map((e) => dec(e.value))).toEqual(['a', 'b'])
  })
})

describe('close and lock', () => {
  test('after close every operation is LOG_CLOSED; close is idempotent', async () => {
    const log = await openLog({ dir: await tempDir() })
    const a = await log.append(enc('x'))
    await log.close()
    await log.close()
    await expectCode(log.append(enc('y')), 'LOG_CLOSED')
    await expectCode(log.get(a), 'LOG_CLOSED')
    await expectCode(log.erase(a), 'LOG_CLOSED')
    await expectCode(log.compact(), 'LOG_CLOSED')
    await expectCode(collect(log.stream()), 'LOG_CLOSED')
  })

  test('appends issued before close are written', async () => {
    const dir = await tempDir()
    const log = await openLog({ dir })
    const pending = Promise.all(Array.from({ length: 20 }, (_, i) => log.append(recordFor(i))))
    await log.close()
    expect(await pending).toHaveLength(20)
    const again = track(await openLog({ dir }))
    expect(again.count).toBe(20)
  })

  test('a second openLog on the same dir in this process is LOG_LOCKED until the first closes', async () => {
    const dir = await tempDir()
    const log = await openLog({ dir })
    const err = await openLog({ dir }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LogError)
    expect((err as LogError).code).toBe('LOG_LOCKED')
    expect((err as Error).message).toContain('this process')
    await log.close()
    track(await openLog({ dir }))
  })
})

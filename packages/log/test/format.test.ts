import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { openLog } from '@ssb/log'
import { DataFile } from '../src/file.js'
import { encodeFileHeader } from '../src/file-header.js'
import { encodeFrame, saltFor } from '../src/frame.js'
import { collect, enc, recordFor, tempDir, track } from './helpers.js'

const TWO_32 = 2 ** 32

describe('offsets are 64-bit', () => {
  test('a log whose offsets cross 2^32 appends, reads, erases, compacts and reopens', async () => {
    const dir = await tempDir()
    let log = await openLog({ dir, initialOffset: TWO_32 - 100 })
    expect(log.start).toBe(TWO_32 - 100)
    expect(log.end).toBe(TWO_32 - 100)
    const offsets = await log.appendBatch(Array.from({ length: 20 }, (_, i) => recordFor(i, 50)))
    expect(offsets[0]).toBe(TWO_32 - 100)
    expect(offsets[2]).toBeGreaterThan(TWO_32)
    for (let i = 0; i < 20; i++) expect(await log.get(offsets[i]!)).toEqual(recordFor(i, 50))
    await log.erase(offsets[5]!)
    expect((await collect(log.stream({ gt: offsets[3]!, lt: offsets[8]! }))).map((e) => e.offset)).toEqual([offsets[4], offsets[6], offsets[7]])
    expect((await collect(log.stream({ reverse: true, gte: offsets[17]! }))).map((e) => e.offset)).toEqual(offsets.slice(17).reverse())
    await log.close()
    log = track(await openLog({ dir, initialOffset: 7 }))
    expect(log.recovery).toBeNull()
    expect(log.start).toBe(TWO_32 - 100)
    expect(log.count).toBe(19)
    await log.compact()
    const entries = await collect(log.stream())
    expect(entries[0]!.offset).toBe(TWO_32 - 100)
    expect(entries.at(-1)!.offset).toBeGreaterThan(TWO_32)
    expect(entries.map((e) => e.value)).toEqual(Array.from({ length: 20 }, (_, i) => recordFor(i, 50)).filter((_, i) => i !== 5))
  })

  test('offsets near 2^53 still round-trip (checkpoint and header keep full precision)', async () => {
    const dir = await tempDir()
    const start = 2 ** 53 - 2 ** 20
    let log = await openLog({ dir, initialOffset: start })
    const a = await log.append(enc('far away'))
    await log.close()
    log = track(await openLog({ dir }))
    expect(a).toBe(start)
    expect(log.recovery).toBeNull()
    expect(new TextDecoder().decode((await log.get(a))!)).toBe('far away')
  })

  test('positioned file I/O works past 4 GiB (sparse file)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ssb-log-sparse-'))
    try {
      const file = await DataFile.open(join(dir, 'sparse'), 'w+')
      const pos = 5 * 2 ** 30 + 12345
      await file.write(enc('beyond 4 GiB'), 0, 12, pos)
      expect(await file.size()).toBe(pos + 12)
      const back = new Uint8Array(12)
      expect(await file.read(back, 0, 12, pos)).toBe(12)
      expect(new TextDecoder().decode(back)).toBe('beyond 4 GiB')
      await file.writev([enc('ab'), enc('cd')], TWO_32 + 1)
      const two = new Uint8Array(4)
      await file.read(two, 0, 4, TWO_32 + 1)
      expect(new TextDecoder().decode(two)).toBe('abcd')
      await file.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('on-disk format is stable', () => {
  test('file header and frame bytes match the documented layout', () => {
    const fileId = new Uint8Array(16).map((_, i) => i + 1)
    const header = encodeFileHeader({ generation: 3, baseOffset: TWO_32 + 5, fileId })
    expect(Buffer.from(header).toString('hex')).toBe(
      '5353424c4f470d0a' + // magic "SSBLOG\r\n"
        '01000000' + '40000000' + // version 1, header size 64
        '0300000000000000' + // generation
        '0500000001000000' + // base offset 2^32 + 5
        '0102030405060708090a0b0c0d0e0f10' + // file id
        '000000000000000000000000' +
        Buffer.from(header.subarray(60)).toString('hex'),
    )
    const frame = new Uint8Array(19)
    encodeFrame(frame, new DataView(frame.buffer), 0, TWO_32 + 5, saltFor(fileId), enc('abc'))
    const hex = Buffer.from(frame).toString('hex')
    expect(hex.slice(0, 8)).toBe('03000000') // length 3, no flags
    expect(hex.slice(24, 30)).toBe('616263') // payload
    expect(hex.slice(30)).toBe('03000000') // trailer repeats the length word
    expect(hex).toMatchInlineSnapshot(`"03000000fc18897ca769439761626303000000"`)
  })

  test('a new log file is exactly the 64-byte header until the first append', async () => {
    const dir = await tempDir()
    const log = track(await openLog({ dir }))
    expect((await readFile(join(dir, 'log.data'))).length).toBe(64)
    await log.append(enc('abc'))
    expect((await readFile(join(dir, 'log.data'))).length).toBe(64 + 19)
  })
})

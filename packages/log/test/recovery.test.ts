import { appendFile, copyFile, mkdir, open, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { type Log, type RecoveryInfo, openLog } from '@ssb/log'
import { encodeCheckpoint, readCheckpoint } from '../src/checkpoint.js'
import { DataFile } from '../src/file.js'
import { collect, enc, expectCode, recordFor, tempDir, track } from './helpers.js'

const HEADER = 64
const DATA = 'log.data'

async function makeLog(n: number, opts: { checkpointBytes?: number } = {}): Promise<{ dir: string; offsets: number[]; end: number }> {
  const dir = await tempDir()
  const log = await openLog({ dir, ...opts })
  const offsets = await log.appendBatch(Array.from({ length: n }, (_, i) => recordFor(i)))
  const end = log.end
  await log.close()
  return { dir, offsets, end }
}

async function flipByte(path: string, position: number): Promise<void> {
  const fh = await open(path, 'r+')
  const b = Buffer.alloc(1)
  await fh.read(b, 0, 1, position)
  b[0] = b[0]! ^ 0x5a
  await fh.write(b, 0, 1, position)
  await fh.close()
}

async function reopen(dir: string): Promise<{ log: Log; info: RecoveryInfo[] }> {
  const info: RecoveryInfo[] = []
  const log = track(await openLog({ dir, onRecover: (i) => info.push(i) }))
  return { log, info }
}

async function expectRecords(log: Log, n: number): Promise<void> {
  const entries = await collect(log.stream())
  expect(entries.length).toBe(n)
  entries.forEach((e, i) => expect(e.value).toEqual(recordFor(i)))
  expect(log.count).toBe(n)
}

describe('torn and damaged tails are cut on open', () => {
  test.each([1, 5, 13, 40])('file cut %i bytes short: the last record goes, the rest stays', async (cut) => {
    const { dir, offsets, end } = await makeLog(10)
    await truncate(join(dir, DATA), HEADER + end - cut)
    const { log, info } = await reopen(dir)
    await expectRecords(log, 9)
    expect(log.end).toBe(offsets[9])
    expect(info).toEqual([
      { reason: 'damaged-tail', truncatedAt: offsets[9], droppedBytes: end - cut - offsets[9]!, validFramesAfter: 0, savedTo: null, checkpointUsed: false },
    ])
    expect((await stat(join(dir, DATA))).size).toBe(HEADER + offsets[9]!)
    const next = await log.append(enc('next'))
    expect(next).toBe(offsets[9])
  })

  test('garbage appended after the last record is dropped', async () => {
    const { dir, end } = await makeLog(10)
    await appendFile(join(dir, DATA), Buffer.from('this is not a frame at all, just junk bytes'))
    const { log, info } = await reopen(dir)
    await expectRecords(log, 10)
    expect(log.end).toBe(end)
    expect(info[0]!.truncatedAt).toBe(end)
  })

  test('zero-filled space after the last record (preallocation after a crash) is dropped', async () => {
    const { dir, end } = await makeLog(10)
    await appendFile(join(dir, DATA), Buffer.alloc(4096))
    const { log, info } = await reopen(dir)
    await expectRecords(log, 10)
    expect(info[0]).toMatchObject({ truncatedAt: end, droppedBytes: 4096, validFramesAfter: 0 })
  })

  test.each([
    ['header length', 0],
    ['payload crc', 5],
    ['header crc', 9],
    ['payload', 20],
    ['trailer', -2],
  ])('a flipped byte in the last record (%s) drops that record', async (_name, at) => {
    const { dir, offsets, end } = await makeLog(10)
    const pos = at >= 0 ? HEADER + offsets[9]! + at : HEADER + end + at
    await flipByte(join(dir, DATA), pos)
    // No checkpoint: a crash before the first checkpoint leaves only the whole-file scan.
    await rm(join(dir, 'log.checkpoint'))
    const { log, info } = await reopen(dir)
    await expectRecords(log, 9)
    expect(info[0]!.truncatedAt).toBe(offsets[9])
  })

  test('damage followed by valid records: the cut tail is kept in a recovered-tail file', async () => {
    const { dir, offsets, end } = await makeLog(10)
    await rm(join(dir, 'log.checkpoint'))
    await flipByte(join(dir, DATA), HEADER + offsets[6]! + 20)
    const original = await readFile(join(dir, DATA))
    const { log, info } = await reopen(dir)
    await expectRecords(log, 6)
    expect(info[0]).toMatchObject({ truncatedAt: offsets[6], droppedBytes: end - offsets[6]!, validFramesAfter: 3 })
    expect(info[0]!.savedTo).toMatch(/recovered-tail-/)
    expect(await readFile(info[0]!.savedTo!)).toEqual(original.subarray(HEADER + offsets[6]!))
    expect((await readdir(dir)).filter((n) => n.startsWith('recovered-tail-'))).toHaveLength(1)
  })
})

describe('damage inside the verified part is reported, never served', () => {
  test('a flipped payload byte mid-log: get and streams throw LOG_CORRUPT at that record only', async () => {
    const { dir, offsets } = await makeLog(20)
    await flipByte(join(dir, DATA), HEADER + offsets[5]! + 30)
    const { log, info } = await reopen(dir)
    expect(info).toEqual([]) // the checkpoint vouches for the file: open does not rescan it
    expect(log.count).toBe(20)
    await expectCode(log.get(offsets[5]!), 'LOG_CORRUPT')
    expect(await log.get(offsets[4]!)).toEqual(recordFor(4))
    expect(await log.get(offsets[6]!)).toEqual(recordFor(6))
    const seen: number[] = []
    await expectCode(async () => {
      for await (const e of log.stream()) seen.push(e.offset)
    }, 'LOG_CORRUPT')
    expect(seen).toEqual(offsets.slice(0, 5))
    const back: number[] = []
    await expectCode(async () => {
      for await (const e of log.stream({ reverse: true })) back.push(e.offset)
    }, 'LOG_CORRUPT')
    expect(back).toEqual(offsets.slice(6).reverse())
    expect(offsets.slice(7).length).toBe(13)
    expect((await collect(log.stream({ gt: offsets[5]! }))).length).toBe(14)
  })

  test('a damaged frame header mid-log stops streams with LOG_CORRUPT; compaction refuses and changes nothing', async () => {
    const { dir, offsets } = await makeLog(20)
    await flipByte(join(dir, DATA), HEADER + offsets[8]! + 1)
    const { log } = await reopen(dir)
    await expectCode(collect(log.stream()), 'LOG_CORRUPT')
    await expectCode(collect(log.stream({ reverse: true })), 'LOG_CORRUPT')
    await expectCode(log.get(offsets[8]!), 'LOG_BAD_OFFSET')
    await log.erase(offsets[0]!)
    await expectCode(log.compact(), 'LOG_CORRUPT')
    expect(log.generation).toBe(0)
    expect(await log.get(offsets[9]!)).toEqual(recordFor(9))
  })

  test('an erase of a damaged record is LOG_CORRUPT', async () => {
    const { dir, offsets } = await makeLog(5)
    await flipByte(join(dir, DATA), HEADER + offsets[2]! + 25)
    const { log } = await reopen(dir)
    await expectCode(log.erase(offsets[2]!), 'LOG_CORRUPT')
  })
})

describe('checkpoint', () => {
  test('a damaged or foreign checkpoint falls back to a full scan', async () => {
    const { dir } = await makeLog(30)
    await writeFile(join(dir, 'log.checkpoint'), Buffer.alloc(256, 0xab))
    let r = await reopen(dir)
    await expectRecords(r.log, 30)
    expect(r.info).toEqual([])
    await r.log.close()
    const other = await makeLog(3)
    await copyFile(join(other.dir, 'log.checkpoint'), join(dir, 'log.checkpoint'))
    r = await reopen(dir)
    await expectRecords(r.log, 30)
  })

  test('a torn checkpoint slot leaves the other slot in charge', async () => {
    const { dir, end } = await makeLog(10)
    const cpFile = await DataFile.open(join(dir, 'log.checkpoint'), 'r+')
    const cp = (await readCheckpoint(cpFile))!
    expect(cp.verifiedEnd).toBe(end)
    const slot = (cp.sequence % 2) * 128
    await cpFile.write(new Uint8Array(40), 0, 40, slot + 30)
    const older = await readCheckpoint(cpFile)
    await cpFile.close()
    expect(older === null || older.sequence < cp.sequence).toBe(true)
    const { log } = await reopen(dir)
    await expectRecords(log, 10)
  })

  test('after a crash only the tail past the last checkpoint is scanned', async () => {
    const dir = await tempDir()
    const log = track(await openLog({ dir, checkpointBytes: 1000 }))
    const offsets: number[] = []
    for (let i = 0; i < 40; i++) offsets.push(await log.append(recordFor(i)))
    // Snapshot the directory as a crash would leave it (the log is never closed).
    const crashed = join(dir, 'crashed')
    await mkdir(crashed)
    for (const name of [DATA, 'log.checkpoint']) await copyFile(join(dir, name), join(crashed, name))
    const cp = (await readCheckpoint(await DataFile.open(join(crashed, 'log.checkpoint'), 'r')))!
    expect(cp.verifiedEnd).toBeGreaterThan(offsets[3]!)
    expect(cp.verifiedEnd).toBeLessThanOrEqual(log.end)
    await flipByte(join(crashed, DATA), HEADER + offsets[2]! + 30) // inside the verified part
    await truncate(join(crashed, DATA), HEADER + log.end - 3) // torn last record
    const r = await reopen(crashed)
    expect(r.info[0]).toMatchObject({ truncatedAt: offsets[39], checkpointUsed: true })
    expect(r.log.count).toBe(39)
    await expectCode(r.log.get(offsets[2]!), 'LOG_CORRUPT')
  })

  test("sync 'none' checkpoints in the background while appends continue", async () => {
    const dir = await tempDir()
    const log = track(await openLog({ dir, sync: 'none', checkpointBytes: 2000 }))
    for (let i = 0; i < 40; i++) await log.append(recordFor(i))
    await log.flush()
    const cpFile = await DataFile.open(join(dir, 'log.checkpoint'), 'r')
    const cp = (await readCheckpoint(cpFile))!
    await cpFile.close()
    expect(cp.verifiedEnd).toBeGreaterThan(0)
    expect(cp.verifiedEnd).toBeLessThanOrEqual(log.end)
    expect(cp.records).toBe((await collect(log.stream({ lt: cp.verifiedEnd }))).length)
  })

  test('a file shorter than the checkpoint vouched for is reported as a missing tail', async () => {
    const { dir, offsets, end } = await makeLog(10)
    await truncate(join(dir, DATA), HEADER + offsets[7]!)
    const { log, info } = await reopen(dir)
    await expectRecords(log, 7)
    expect(info).toEqual([
      { reason: 'missing-tail', truncatedAt: offsets[7], droppedBytes: end - offsets[7]!, validFramesAfter: 0, savedTo: null, checkpointUsed: false },
    ])
  })

  test('an erase interrupted mid-overwrite is finished on open', async () => {
    const { dir, offsets } = await makeLog(10)
    const cpFile = await DataFile.open(join(dir, 'log.checkpoint'), 'r+')
    const cp = (await readCheckpoint(cpFile))!
    const length = recordFor(4).length
    // What erase writes first: a checkpoint announcing the erase (counting it already)...
    const next = { ...cp, sequence: cp.sequence + 1, erased: cp.erased + 1, pendingErase: { offset: offsets[4]!, length } }
    await cpFile.write(encodeCheckpoint(next), 0, 128, (next.sequence % 2) * 128)
    await cpFile.close()
    // ...then the overwrite, cut short by the crash: half the payload zeroed, header untouched.
    const fh = await open(join(dir, DATA), 'r+')
    await fh.write(Buffer.alloc(length >> 1), 0, length >> 1, HEADER + offsets[4]! + 12)
    await fh.close()
    const { log, info } = await reopen(dir)
    expect(info).toEqual([])
    expect(await log.get(offsets[4]!)).toBeNull()
    expect(log.count).toBe(9)
    expect((await collect(log.stream())).map((e) => e.offset)).toEqual(offsets.filter((_, i) => i !== 4))
    const raw = await readFile(join(dir, DATA))
    expect(raw.subarray(HEADER + offsets[4]! + 12, HEADER + offsets[4]! + 12 + length).every((b) => b === 0)).toBe(true)
  })
})

describe('files', () => {
  test('a leftover compaction file from a crash is removed; the old log is intact', async () => {
    const { dir } = await makeLog(10)
    await writeFile(join(dir, 'log.data.compacting'), Buffer.from('half a compaction'))
    const { log } = await reopen(dir)
    await expectRecords(log, 10)
    expect(await readdir(dir)).not.toContain('log.data.compacting')
  })

  test('a damaged file header is LOG_CORRUPT; a foreign file is LOG_UNSUPPORTED_FORMAT; the lock is released', async () => {
    const { dir } = await makeLog(3)
    await flipByte(join(dir, DATA), 20)
    await expectCode(openLog({ dir }), 'LOG_CORRUPT')
    expect(await readdir(dir)).not.toContain('log.lock')
    const other = await tempDir()
    await writeFile(join(other, DATA), Buffer.from('{"some":"json file that is not a log"}'.padEnd(100)))
    await expectCode(openLog({ dir: other }), 'LOG_UNSUPPORTED_FORMAT')
  })

  test('a directory that cannot be used is LOG_IO with the cause attached', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'not-a-dir'), 'x')
    const err = await openLog({ dir: join(dir, 'not-a-dir', 'log') }).catch((e: unknown) => e)
    expect((err as { code: string }).code).toBe('LOG_IO')
    expect(((err as Error).cause as { code: string }).code).toBe('ENOTDIR')
  })
})

import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { WRITE_BUFFER_BYTES, WRITES_IN_FLIGHT } from '../src/constants.js'
import { WriteBuffers, writeSource } from '../src/write-blob.js'

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

test('one chunk of a whole blob is written with at most WRITES_IN_FLIGHT writes and buffers at once', async () => {
  dir = mkdtempSync(join(os.tmpdir(), 'ssb-write-blob-'))
  const path = join(dir, 'blob')
  const fh = await open(path, 'w')
  let running = 0
  let most = 0
  const counting = {
    write: async (...args: Parameters<FileHandle['write']>) => {
      running++
      most = Math.max(most, running)
      try {
        await new Promise((resolve) => setTimeout(resolve, 2))
        return await (fh.write as (...a: unknown[]) => ReturnType<FileHandle['write']>)(...args)
      } finally {
        running--
      }
    },
  } as unknown as FileHandle
  const distinct = new Set<Buffer>()
  const buffers = new (class extends WriteBuffers {
    override take(): Buffer {
      const b = super.take()
      distinct.add(b)
      return b
    }
  })()
  const blob = Buffer.alloc(5 * 1024 * 1024 - 1)
  for (let i = 0; i < blob.length; i++) blob[i] = (i * 13) & 0xff
  const { size } = await writeSource(counting, blob, { maxSize: 5 * 1024 * 1024, buffers })
  await fh.close()
  expect(size).toBe(blob.length)
  expect(readFileSync(path).equals(blob)).toBe(true)
  expect(most).toBeLessThanOrEqual(WRITES_IN_FLIGHT)
  // 20 writes of WRITE_BUFFER_BYTES went through the same few buffers (before: one each, all at once).
  expect(Math.ceil(blob.length / WRITE_BUFFER_BYTES)).toBe(20)
  expect(distinct.size).toBeLessThanOrEqual(WRITES_IN_FLIGHT + 1)
  expect(most).toBeGreaterThan(1)
})

/** A FileHandle whose datasync() is counted (and may fail) and takes a few ms, like a disk's. */
function syncCounting(fh: FileHandle, opts: { fail?: boolean } = {}) {
  const stats = { syncs: 0, running: 0, most: 0, writtenAtFirstSync: -1, written: 0, settledSyncs: 0 }
  const handle = {
    write: async (...args: Parameters<FileHandle['write']>) => {
      const r = await (fh.write as (...a: unknown[]) => ReturnType<FileHandle['write']>)(...args)
      stats.written += r.bytesWritten
      return r
    },
    datasync: async () => {
      stats.syncs++
      stats.running++
      stats.most = Math.max(stats.most, stats.running)
      if (stats.writtenAtFirstSync < 0) stats.writtenAtFirstSync = stats.written
      try {
        await new Promise((resolve) => setTimeout(resolve, 3))
        if (opts.fail) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })
        await fh.datasync()
      } finally {
        stats.running--
        stats.settledSyncs++
      }
    },
  } as unknown as FileHandle
  return { handle, stats }
}

/** `bytes` in 64 KiB chunks, pausing now and then as a network would. */
async function* arriving(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let at = 0, n = 0; at < bytes.length; at += 64 * 1024, n++) {
    yield bytes.subarray(at, Math.min(at + 64 * 1024, bytes.length))
    if (n % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 1))
  }
}

test('with syncEvery, what has been written is synced while the rest arrives, one sync at a time, all settled on return', async () => {
  dir = mkdtempSync(join(os.tmpdir(), 'ssb-write-blob-'))
  const path = join(dir, 'blob')
  const fh = await open(path, 'w')
  const { handle, stats } = syncCounting(fh)
  const blob = Buffer.alloc(3 * 1024 * 1024 + 5)
  for (let i = 0; i < blob.length; i++) blob[i] = (i * 7) & 0xff
  const { size } = await writeSource(handle, arriving(blob), { maxSize: 5 * 1024 * 1024, syncEvery: 256 * 1024 })
  expect(stats.running).toBe(0)
  expect(stats.settledSyncs).toBe(stats.syncs)
  await fh.close()
  expect(size).toBe(blob.length)
  expect(readFileSync(path).equals(blob)).toBe(true)
  // Syncs began long before the last chunk was written, and never two at once.
  expect(stats.syncs).toBeGreaterThan(1)
  expect(stats.writtenAtFirstSync).toBeGreaterThanOrEqual(256 * 1024)
  expect(stats.writtenAtFirstSync).toBeLessThan(blob.length / 2)
  expect(stats.most).toBe(1)
})

test('without syncEvery nothing is synced (the caller fsyncs), and a failed sync fails the add with BLOB_IO', async () => {
  dir = mkdtempSync(join(os.tmpdir(), 'ssb-write-blob-'))
  const fh = await open(join(dir, 'blob'), 'w')
  const blob = Buffer.alloc(2 * 1024 * 1024, 1)
  const plain = syncCounting(fh)
  await writeSource(plain.handle, arriving(blob), { maxSize: 5 * 1024 * 1024 })
  expect(plain.stats.syncs).toBe(0)
  const failing = syncCounting(fh, { fail: true })
  const err = await writeSource(failing.handle, arriving(blob), { maxSize: 5 * 1024 * 1024, syncEvery: 256 * 1024 }).catch((e: unknown) => e)
  await fh.close()
  expect(err).toMatchObject({ code: 'BLOB_IO', message: 'syncing a temporary file failed' })
  expect(failing.stats.running).toBe(0)
})

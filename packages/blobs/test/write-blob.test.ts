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
  const { size } = await writeSource(counting, blob, 5 * 1024 * 1024, undefined, buffers)
  await fh.close()
  expect(size).toBe(blob.length)
  expect(readFileSync(path).equals(blob)).toBe(true)
  expect(most).toBeLessThanOrEqual(WRITES_IN_FLIGHT)
  // 20 writes of WRITE_BUFFER_BYTES went through the same few buffers (before: one each, all at once).
  expect(Math.ceil(blob.length / WRITE_BUFFER_BYTES)).toBe(20)
  expect(distinct.size).toBeLessThanOrEqual(WRITES_IN_FLIGHT + 1)
  expect(most).toBeGreaterThan(1)
})

import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { EXPENSIVE_PAGE_FAULT_MICROS, keepFreedMemoryIfFaultsAreCostly, MALLOC_THRESHOLD_BLOCK_BYTES, measurePageFaultMicros } from '../src/malloc.js'
import { root } from './helpers.js'

const fixture = join(root, 'apps', 'cli', 'test', 'fixtures', 'malloc-churn.mjs')
const isGlibc = process.platform === 'linux' && (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime !== undefined

/** Page faults per round of 48 MiB freed in bulk, in a plain Node process that first drops a block of `block` bytes. */
function churn(block: number): { faultsPerRound: number; pagesPerRound: number } {
  const r = spawnSync(process.execPath, ['--expose-gc', fixture, String(block)], { cwd: root, env: { PATH: process.env.PATH }, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`fixture failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as { faultsPerRound: number; pagesPerRound: number }
}

describe('keepFreedMemoryIfFaultsAreCostly', () => {
  const fakeBlocks = () => {
    const sizes: number[] = []
    const allocate = (n: number) => {
      sizes.push(n)
      return new Uint8Array(16)
    }
    return { sizes, allocate }
  }

  test('on Linux where page faults are costly, allocates one block just under 32 MiB, times it, and drops it', () => {
    const { sizes, allocate } = fakeBlocks()
    const timed: Uint8Array[] = []
    const costly = (block: Uint8Array) => (timed.push(block), 13)
    expect(keepFreedMemoryIfFaultsAreCostly({}, 'linux', allocate, costly)).toMatchObject({ keep: true, reason: expect.stringContaining('13.0 µs') })
    expect(sizes).toEqual([MALLOC_THRESHOLD_BLOCK_BYTES])
    expect(timed).toHaveLength(1)
    expect(MALLOC_THRESHOLD_BLOCK_BYTES).toBeLessThanOrEqual(32 * 1024 * 1024)
    expect(MALLOC_THRESHOLD_BLOCK_BYTES).toBeGreaterThan(16 * 1024 * 1024)
    expect(keepFreedMemoryIfFaultsAreCostly({ GLIBC_TUNABLES: 'glibc.cpu.hwcaps=-AVX2' }, 'linux', allocate, costly).keep).toBe(true)
  })

  test('where faults are cheap (or the probe is not a number) it keeps the probe block for good, so glibc never sees it freed', () => {
    const { sizes, allocate } = fakeBlocks()
    const cheap = () => EXPENSIVE_PAGE_FAULT_MICROS - 0.5
    expect(keepFreedMemoryIfFaultsAreCostly({}, 'linux', allocate, cheap)).toMatchObject({ keep: false, reason: expect.stringContaining('4.5 µs') })
    expect(keepFreedMemoryIfFaultsAreCostly({}, 'linux', allocate, () => NaN).keep).toBe(false)
    expect(sizes).toEqual([MALLOC_THRESHOLD_BLOCK_BYTES, MALLOC_THRESHOLD_BLOCK_BYTES])
  })

  test('off Linux, or when GLIBC_TUNABLES sets malloc tunables, it allocates and times nothing', () => {
    const { sizes, allocate } = fakeBlocks()
    const never = () => {
      throw new Error('timed')
    }
    expect(keepFreedMemoryIfFaultsAreCostly({ GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=131072' }, 'linux', allocate, never)).toEqual({ keep: false, reason: 'GLIBC_TUNABLES sets malloc tunables' })
    expect(keepFreedMemoryIfFaultsAreCostly({}, 'darwin', allocate, never)).toEqual({ keep: false, reason: 'not Linux' })
    expect(sizes).toEqual([])
  })

  test('measurePageFaultMicros times first touches of fresh pages', () => {
    // 40 MiB: above glibc's largest mmap threshold, so fresh pages whatever this process freed before.
    const micros = measurePageFaultMicros(Buffer.allocUnsafeSlow(40 * 1024 * 1024))
    expect(Number.isFinite(micros)).toBe(true)
    expect(micros).toBeGreaterThan(0)
    // Well above touching pages already mapped (a few ns each): the probe on mapped pages.
    const mapped = Buffer.allocUnsafeSlow(1024 * 1024).fill(1)
    expect(micros).toBeGreaterThan(measurePageFaultMicros(mapped))
  })

  // What it is for: with glibc, memory V8 frees in bulk is kept and reused, not faulted in afresh.
  test.runIf(isGlibc)('with glibc, dropping that block makes buffers freed in bulk get reused instead of faulted in again', () => {
    const plain = churn(0)
    const tuned = churn(MALLOC_THRESHOLD_BLOCK_BYTES)
    // Measured: ~2,570 faults per 12,288-page round plain, ~120 after the block.
    expect(plain.faultsPerRound).toBeGreaterThan(plain.pagesPerRound / 10)
    expect(tuned.faultsPerRound).toBeLessThan(plain.faultsPerRound / 4)
  }, 30_000)
})

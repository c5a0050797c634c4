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
  test('on Linux where page faults are costly, allocates (and drops) one block just under 32 MiB', () => {
    const calls: number[] = []
    const allocate = (n: number) => calls.push(n)
    const costly = () => 13
    expect(keepFreedMemoryIfFaultsAreCostly({}, 'linux', costly, allocate)).toMatchObject({ keep: true, reason: expect.stringContaining('13.0 µs') })
    expect(calls).toEqual([MALLOC_THRESHOLD_BLOCK_BYTES])
    expect(MALLOC_THRESHOLD_BLOCK_BYTES).toBeLessThanOrEqual(32 * 1024 * 1024)
    expect(MALLOC_THRESHOLD_BLOCK_BYTES).toBeGreaterThan(16 * 1024 * 1024)
    expect(keepFreedMemoryIfFaultsAreCostly({ GLIBC_TUNABLES: 'glibc.cpu.hwcaps=-AVX2' }, 'linux', costly, allocate).keep).toBe(true)
    expect(calls).toHaveLength(2)
  })

  test('does nothing where faults are cheap, off Linux, or when GLIBC_TUNABLES sets malloc tunables (without timing anything)', () => {
    const calls: number[] = []
    const allocate = (n: number) => calls.push(n)
    let measured = 0
    const cheap = () => (measured++, EXPENSIVE_PAGE_FAULT_MICROS - 0.5)
    const costly = () => (measured++, 13)
    expect(keepFreedMemoryIfFaultsAreCostly({}, 'linux', cheap, allocate)).toMatchObject({ keep: false, reason: expect.stringContaining('4.5 µs') })
    expect(keepFreedMemoryIfFaultsAreCostly({}, 'linux', () => NaN, allocate).keep).toBe(false)
    expect(measured).toBe(1)
    expect(keepFreedMemoryIfFaultsAreCostly({ GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=131072' }, 'linux', costly, allocate)).toEqual({ keep: false, reason: 'GLIBC_TUNABLES sets malloc tunables' })
    expect(keepFreedMemoryIfFaultsAreCostly({}, 'darwin', costly, allocate)).toEqual({ keep: false, reason: 'not Linux' })
    expect(measured).toBe(1)
    expect(calls).toEqual([])
  })

  test('measurePageFaultMicros times first touches of fresh pages', () => {
    const micros = measurePageFaultMicros()
    expect(Number.isFinite(micros)).toBe(true)
    expect(micros).toBeGreaterThan(0)
    // Well above touching pages already mapped (a few ns each): best of 5, so that one
    // preemption on a busy machine cannot make the mapped pages look slow.
    const mapped = Buffer.allocUnsafeSlow(1024 * 1024).fill(1)
    let best = Infinity
    for (let run = 0; run < 5; run++) {
      const t0 = process.hrtime.bigint()
      for (let i = 0; i < mapped.length; i += 4096) mapped[i] = run
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1000 / 256)
    }
    expect(micros).toBeGreaterThan(best)
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

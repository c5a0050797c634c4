import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { keepFreedMemoryForReuse, MALLOC_THRESHOLD_BLOCK_BYTES } from '../src/malloc.js'
import { root } from './helpers.js'

const fixture = join(root, 'apps', 'cli', 'test', 'fixtures', 'malloc-churn.mjs')
const isGlibc = process.platform === 'linux' && (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime !== undefined

/** Page faults per round of 48 MiB freed in bulk, in a plain Node process that first drops a block of `block` bytes. */
function churn(block: number): { faultsPerRound: number; pagesPerRound: number } {
  const r = spawnSync(process.execPath, ['--expose-gc', fixture, String(block)], { cwd: root, env: { PATH: process.env.PATH }, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`fixture failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as { faultsPerRound: number; pagesPerRound: number }
}

describe('keepFreedMemoryForReuse', () => {
  test('on Linux, allocates (and drops) one block just under 32 MiB, unless GLIBC_TUNABLES sets malloc tunables', () => {
    const calls: number[] = []
    const allocate = (n: number) => calls.push(n)
    expect(keepFreedMemoryForReuse({}, 'linux', allocate)).toBe(true)
    expect(calls).toEqual([MALLOC_THRESHOLD_BLOCK_BYTES])
    expect(MALLOC_THRESHOLD_BLOCK_BYTES).toBeLessThanOrEqual(32 * 1024 * 1024)
    expect(MALLOC_THRESHOLD_BLOCK_BYTES).toBeGreaterThan(16 * 1024 * 1024)
    expect(keepFreedMemoryForReuse({ GLIBC_TUNABLES: 'glibc.cpu.hwcaps=-AVX2' }, 'linux', allocate)).toBe(true)
    expect(keepFreedMemoryForReuse({ GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=131072' }, 'linux', allocate)).toBe(false)
    expect(keepFreedMemoryForReuse({}, 'darwin', allocate)).toBe(false)
    expect(calls).toHaveLength(2)
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

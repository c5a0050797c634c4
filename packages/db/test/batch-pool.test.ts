import { ClassicLevel } from 'classic-level'
import { expect, test } from 'vitest'
import { BatchPool } from '../src/batch-pool.js'
import { makeTempDir, removeDir } from './helpers.js'

test('a reused batch writes only what was put since its last write', async () => {
  const dir = await makeTempDir()
  const level = new ClassicLevel<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  await level.open()
  try {
    const pool = new BatchPool(level)
    const first = pool.acquire()
    first.put('a', '1').put('b', '2')
    await pool.write(first)
    const second = pool.acquire()
    expect(second).toBe(first) // reused, not a new native batch
    expect(second.length).toBe(0)
    second.put('c', '3')
    await level.del('a')
    await pool.write(second) // must not write a and b again
    expect(await level.keys().all()).toEqual(['b', 'c'])

    const big = pool.acquire()
    for (let i = 0; i < 70_000; i++) big.put(`k${i}`, '')
    await pool.write(big)
    expect(pool.acquire()).not.toBe(big) // too big to keep
  } finally {
    await level.close()
    await removeDir(dir)
  }
})

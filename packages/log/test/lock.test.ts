import { spawn } from 'node:child_process'
import { readFile, readdir, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { openLog } from '@ssb/log'
import { expectCode, tempDir, track } from './helpers.js'

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' })
  await new Promise((resolve) => child.on('exit', resolve))
  return child.pid!
}

async function ourLock(): Promise<Record<string, unknown>> {
  const dir = await tempDir()
  const log = await openLog({ dir })
  const lock = JSON.parse(await readFile(join(dir, 'log.lock'), 'utf8')) as Record<string, unknown>
  await log.close()
  return lock
}

async function writeLock(dir: string, lock: Record<string, unknown>): Promise<void> {
  await writeFile(join(dir, 'log.lock'), JSON.stringify(lock) + '\n')
}

describe('directory lock', () => {
  test('the lock file names this process and is removed by close', async () => {
    const dir = await tempDir()
    const log = await openLog({ dir })
    const lock = JSON.parse(await readFile(join(dir, 'log.lock'), 'utf8'))
    expect(lock.pid).toBe(process.pid)
    expect(lock.startedAt).toBe(performance.timeOrigin)
    await log.close()
    expect(await readdir(dir)).not.toContain('log.lock')
  })

  test('a lock left by a dead process is taken over (and the takeover is logged)', async () => {
    const dir = await tempDir()
    await writeLock(dir, { ...(await ourLock()), pid: await deadPid(), token: 'old' })
    const warnings: string[] = []
    const log = track(await openLog({ dir, logger: { warn: (m) => warnings.push(m) } }))
    expect(warnings).toContain('took over stale log lock')
    expect(JSON.parse(await readFile(join(dir, 'log.lock'), 'utf8')).pid).toBe(process.pid)
    await log.append(new Uint8Array(1))
  })

  test('a lock with our pid from an earlier process (restarted container) is taken over', async () => {
    const dir = await tempDir()
    await writeLock(dir, { ...(await ourLock()), startedAt: performance.timeOrigin - 60_000, token: 'earlier' })
    track(await openLog({ dir }))
  })

  test('a live holder keeps the lock; a reused pid (other start time or boot) does not', async () => {
    const dir = await tempDir()
    const mine = await ourLock()
    const parent: Record<string, unknown> = { ...mine, pid: process.ppid, token: 'parent' }
    delete parent.startTicks
    await writeLock(dir, parent)
    await expectCode(openLog({ dir }), 'LOG_LOCKED')
    if (mine.startTicks !== undefined) {
      await writeLock(dir, { ...mine, pid: process.ppid, startTicks: 1, token: 'reused' })
      await openLog({ dir }).then((l) => l.close())
    }
    if (mine.bootId !== undefined) {
      await writeLock(dir, { ...parent, bootId: 'another-boot' })
      await openLog({ dir }).then((l) => l.close())
    }
  })

  test('an unreadable lock file blocks only while it is fresh', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'log.lock'), 'garbage')
    await expectCode(openLog({ dir }), 'LOG_LOCKED')
    const old = new Date(Date.now() - 3600_000)
    await utimes(join(dir, 'log.lock'), old, old)
    track(await openLog({ dir }))
  })

  test('close does not remove a lock that is no longer ours', async () => {
    const dir = await tempDir()
    const log = await openLog({ dir })
    await writeLock(dir, { pid: 1, startedAt: 0, token: 'someone-else' })
    await log.close()
    expect(await readdir(dir)).toContain('log.lock')
  })
})

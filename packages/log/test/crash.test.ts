import { type ChildProcess, spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { LogError, openLog } from '@ssb/log'
import { type CompiledFixtures, compileFixtures } from './fixtures/compile.js'
import { counterOf, crashRecord } from './fixtures/records.js'
import { tempDir } from './helpers.js'

let fixtures: CompiledFixtures
beforeAll(async () => {
  fixtures = await compileFixtures()
})
afterAll(() => fixtures.remove())

interface Child {
  proc: ChildProcess
  lines: string[]
  /** Resolves with the first line starting with `prefix`. */
  waitFor(prefix: string): Promise<string>
  exited: Promise<void>
}

function startChild(fixture: string, args: string[], fileSizeLimitBlocks?: number): Child {
  const proc =
    fileSizeLimitBlocks === undefined
      ? spawn(process.execPath, [fixtures.script(fixture), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : // A shell sets the file size limit (512-byte blocks) and ignores SIGXFSZ, so writes fail with EFBIG.
        spawn('sh', ['-c', `trap '' XFSZ; ulimit -f ${fileSizeLimitBlocks}; exec "$0" "$@"`, process.execPath, fixtures.script(fixture), ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        })
  const lines: string[] = []
  const waiters: { prefix: string; resolve: (line: string) => void }[] = []
  let partial = ''
  let stderr = ''
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n')
    partial = parts.pop()! // an unfinished line (the child may die mid-write) is never used
    for (const line of parts) {
      lines.push(line)
      for (const w of waiters.filter((x) => line.startsWith(x.prefix))) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(line)
      }
    }
  })
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<void>((resolveExit) => proc.on('exit', () => resolveExit()))
  return {
    proc,
    lines,
    exited,
    waitFor: (prefix) => {
      const found = lines.find((l) => l.startsWith(prefix))
      if (found) return Promise.resolve(found)
      return new Promise((res, rej) => {
        waiters.push({ prefix, resolve: res })
        void exited.then(() => rej(new Error(`child exited before "${prefix}": ${stderr}`)))
      })
    },
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Deterministic PRNG so a failing round can be replayed. */
function prng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1
  return (n) => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) % n
  }
}

const expectedRecords = new Map<number, Uint8Array>()
function expectedRecord(counter: number): Uint8Array {
  let r = expectedRecords.get(counter)
  if (!r) expectedRecords.set(counter, (r = crashRecord(counter)))
  return r
}

async function verify(dir: string, acked: Map<number, number>): Promise<{ records: number }> {
  const log = await openLog({ dir })
  try {
    let expected = 0
    const seen = new Map<number, number>()
    for await (const e of log.stream()) {
      // In order, gap-free, byte-intact: record n is exactly crashRecord(n).
      if (counterOf(e.value) !== expected || Buffer.compare(e.value, expectedRecord(expected)) !== 0) {
        expect.fail(`record at ${e.offset} should be #${expected}, found #${counterOf(e.value)} (${e.value.length} bytes)`)
      }
      seen.set(e.offset, expected)
      expected++
    }
    expect(log.count).toBe(expected)
    const lost = [...acked].filter(([offset, counter]) => seen.get(offset) !== counter)
    expect(lost, 'acknowledged records lost').toEqual([])
    return { records: expected }
  } finally {
    await log.close()
  }
}

describe('crash safety (child processes killed with SIGKILL)', () => {
  test('every acknowledged append survives kill -9, in order and intact, across 20 rounds', async () => {
    const dir = await tempDir()
    const rand = prng(20240611)
    const acked = new Map<number, number>()
    let lastCount = 0
    let grew = 0
    for (let round = 0; round < 20; round++) {
      const child = startChild('appender', [dir, 'always', String(round + 1)])
      // Most rounds die while appending; a few die during open/recovery itself.
      if (round % 5 !== 4) await child.waitFor('ready')
      await delay(rand(round % 5 === 4 ? 400 : 120))
      child.proc.kill('SIGKILL')
      await child.exited
      for (const line of child.lines) {
        if (line.startsWith('ready')) continue
        const [offset, counter] = line.split(' ').map(Number)
        acked.set(offset!, counter!)
      }
      const { records } = await verify(dir, acked)
      expect(records).toBeGreaterThanOrEqual(lastCount)
      if (records > lastCount) grew++
      lastCount = records
    }
    expect(acked.size).toBeGreaterThan(100)
    expect(grew).toBeGreaterThan(10)
  }, 90_000)

  test("sync 'none': after kill -9 the log still opens and holds a gap-free, intact prefix", async () => {
    const dir = await tempDir()
    for (let round = 0; round < 3; round++) {
      const child = startChild('appender', [dir, 'none', String(round + 100)])
      await child.waitFor('ready')
      await delay(50 + round * 20)
      child.proc.kill('SIGKILL')
      await child.exited
      await verify(dir, new Map())
    }
  }, 60_000)

  test('kill -9 during erase and compaction: the log is the old or the new generation, never a mix', async () => {
    const dir = await tempDir()
    const rand = prng(77)
    const acked = new Set<number>()
    let maxGeneration = 0
    for (let round = 0; round < 6; round++) {
      const child = startChild('compactor', [dir])
      const ready = (await child.waitFor('ready')).split(' ')
      expect(Number(ready[2])).toBeGreaterThanOrEqual(maxGeneration)
      // Aim the kill: after a finished compaction, during erases, during a compaction, or anywhere.
      const target = ['gen', 'compacting', 'erasing', 'compacting', 'ready', 'compacting'][round]!
      await child.waitFor(target)
      await delay(rand(target === 'compacting' ? 15 : 60))
      child.proc.kill('SIGKILL')
      await child.exited
      for (const line of child.lines) {
        const [kind, n] = line.split(' ')
        if (kind === 'ack') acked.add(Number(n))
        if (kind === 'gen') maxGeneration = Math.max(maxGeneration, Number(n))
      }
      const log = await openLog({ dir })
      try {
        // A compaction acknowledged before the kill is never undone.
        expect(log.generation).toBeGreaterThanOrEqual(maxGeneration)
        maxGeneration = log.generation
        let previous = -1
        const present = new Set<number>()
        for await (const e of log.stream()) {
          const c = counterOf(e.value)
          if (c <= previous) expect.fail(`record #${c} after #${previous}`)
          // Only erased records (counter 3 mod 7) may be missing from the sequence.
          for (let missing = previous + 1; missing < c; missing++) if (missing % 7 !== 3) expect.fail(`record #${missing} missing`)
          if (Buffer.compare(e.value, expectedRecord(c)) !== 0) expect.fail(`record #${c} damaged`)
          present.add(c)
          previous = c
        }
        expect([...acked].filter((c) => c % 7 !== 3 && !present.has(c)), 'acknowledged records lost').toEqual([])
      } finally {
        await log.close()
      }
    }
    expect(maxGeneration).toBeGreaterThan(0)
  }, 60_000)

  test('a second process cannot open a locked log; a SIGKILLed holder’s stale lock is taken over', async () => {
    const dir = await tempDir()
    const holder = startChild('holder', [dir])
    const pid = Number((await holder.waitFor('locked')).split(' ')[1])
    const err = await openLog({ dir }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LogError)
    expect((err as LogError).code).toBe('LOG_LOCKED')
    expect((err as Error).message).toContain(`process ${pid}`)
    const rival = startChild('holder', [dir])
    await expect(rival.waitFor('locked')).rejects.toThrow(/LOG_LOCKED/)
    holder.proc.kill('SIGKILL')
    await holder.exited
    const log = await openLog({ dir })
    await log.append(new Uint8Array([1, 2, 3]))
    await log.close()
  }, 60_000)

  test('a failed write (EFBIG) stops further writes with LOG_WRITE_FAILED; reopening recovers every acknowledged record', async () => {
    const dir = await tempDir()
    const child = startChild('filler', [dir], 2048)
    const result = (await child.waitFor('failed')).split(' ')
    await child.exited
    expect(result).toEqual(['failed', 'LOG_WRITE_FAILED', 'then', 'LOG_WRITE_FAILED', 'readable', 'LOG_WRITE_FAILED'])
    const acked = child.lines.filter((l) => l.startsWith('ack')).map((l) => Number(l.split(' ')[1]))
    expect(acked.length).toBeGreaterThan(50)
    const log = await openLog({ dir })
    try {
      let expected = 0
      for await (const e of log.stream()) {
        if (Buffer.compare(e.value, expectedRecord(expected)) !== 0) expect.fail(`record #${expected} damaged`)
        expected++
      }
      expect(expected).toBe(acked.length)
      await log.append(crashRecord(expected))
    } finally {
      await log.close()
    }
  }, 60_000)
})

import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { KVT } from '@ssb/feed'
import { openLog } from '@ssb/log'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { openDb } from '../src/index.js'
import { collect, keysFor, makeTempDir, removeDir } from './helpers.js'

const here = fileURLToPath(new URL('.', import.meta.url))
const repoRoot = resolve(here, '../../..')
const fixture = join(here, 'fixtures', 'crash-child.ts')
const KILLS = 20
const VERIFY_EVERY = 5

const children = new Set<ChildProcess>()

/** A child writing in a loop; `acks` fills as it prints acknowledged ids. */
class Writer {
  readonly proc: ChildProcess
  readonly acks: string[] = []
  private buf = ''
  private waiters: Array<{ test: () => boolean; resolve: () => void }> = []
  ready = false
  started = false
  readonly exited: Promise<unknown>

  constructor(dir: string) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=@ssb/source', fixture, dir, '70', '80'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    children.add(this.proc)
    this.exited = once(this.proc, 'exit').finally(() => children.delete(this.proc))
    this.proc.stdout!.setEncoding('utf8')
    this.proc.stdout!.on('data', (chunk: string) => {
      this.buf += chunk
      let nl: number
      while ((nl = this.buf.indexOf('\n')) !== -1) {
        const line = this.buf.slice(0, nl)
        this.buf = this.buf.slice(nl + 1)
        if (line === 'started') this.started = true
        else if (line === 'ready') this.ready = true
        else if (line.startsWith('ack ')) this.acks.push(line.slice(4))
      }
      this.waiters = this.waiters.filter((w) => (w.test() ? (w.resolve(), false) : true))
    })
    this.proc.on('exit', () => {
      for (const w of this.waiters) w.resolve()
      this.waiters = []
    })
  }

  /** Resolves when `test` holds (re-checked on every line) or the child exits. */
  until(test: () => boolean): Promise<void> {
    if (test() || this.proc.exitCode !== null) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ test, resolve }))
  }

  async kill(): Promise<void> {
    this.proc.kill('SIGKILL')
    await this.exited
  }
}

let dir: string
beforeAll(async () => {
  dir = await makeTempDir()
})
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL')
  await Promise.all([...children].map((c) => once(c, 'exit')))
  await removeDir(dir)
})

async function verify(acked: Iterable<string>): Promise<void> {
  const db = await openDb({ keys: keysFor(70) }, { dir })
  try {
    for (const id of acked) expect((await db.get({ id, meta: true })) as KVT).toMatchObject({ key: id })
    const clock = await db.getVectorClock()
    for (const [feed, latest] of Object.entries(clock)) {
      const seqs = ((await collect(db.createHistoryStream({ id: feed, keys: false }))) as Array<{ sequence: number }>).map((v) => v.sequence)
      expect(seqs).toEqual(Array.from({ length: latest }, (_, i) => i + 1))
    }
    expect(await db.verifyIndexes()).toEqual([])
  } finally {
    await db.close()
  }
}

test(`SIGKILL at random moments (${KILLS} times): acknowledged writes survive, indexes agree with the log`, async () => {
  const acked = new Set<string>()
  let unverified: string[] = []
  let current = new Writer(dir)
  for (let kill = 1; kill <= KILLS; kill++) {
    const last = kill === KILLS
    const verifyAfter = kill % VERIFY_EVERY === 0
    let next: Writer | null = null
    if (Math.random() < 0.2) {
      // A random moment right after it got going: often while opening / catching up the indexes.
      await current.until(() => current.started)
      await new Promise((r) => setTimeout(r, Math.random() * 30))
    } else {
      await current.until(() => current.ready)
      // Once this one holds the lock, the next one may start: its start-up overlaps this round.
      if (!verifyAfter && !last) next = new Writer(dir)
      const n = Math.floor(Math.random() * 40)
      await current.until(() => current.acks.length >= n)
    }
    await current.kill()
    expect(current.proc.signalCode).toBe('SIGKILL')
    for (const id of current.acks) acked.add(id)
    unverified.push(...current.acks)
    if (verifyAfter) {
      await verify(unverified)
      unverified = []
    }
    if (!last) current = next ?? new Writer(dir)
  }
  expect(acked.size).toBeGreaterThan(40)

  // Independent check: scan the raw log; every acknowledged id is a record, no record is torn.
  const log = await openLog({ dir: join(dir, 'log') })
  const keys = new Set<string>()
  try {
    for await (const e of log.stream()) keys.add((JSON.parse(Buffer.from(e.value).toString()) as KVT).key)
  } finally {
    await log.close()
  }
  for (const id of acked) expect(keys.has(id)).toBe(true)
  await verify(unverified)
}, 120_000) // ~20 s on a quiet 2-core machine: 20 node+tsx start-ups dominate

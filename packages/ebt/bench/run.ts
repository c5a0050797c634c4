// End-to-end EBT replication between two engines in memory: frames go through JSON as on the
// wire, the receiver validates every message (@ssb/feed) before storing it.
// Usage: pnpm bench   (prints a table, writes bench-results/ebt.json at the repo root)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBatchValidator, createMessage, type FeedState, type MsgValue, validateBatch } from '@ssb/feed'
import { generateKeys } from '@ssb/keys'
import { connect, createNode, FakeStore } from '../test/helpers.js'

interface Fixture {
  feeds: { values: MsgValue[]; state: FeedState }[]
}

const CASES = [
  { feeds: 10, perFeed: 2_000 },
  { feeds: 1_000, perFeed: 100 },
]

function fixture(feeds: number, perFeed: number): Fixture {
  const dir = join(tmpdir(), 'ssb-ebt-bench')
  const file = join(dir, `${feeds}x${perFeed}.json`)
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Fixture
  const out: Fixture = { feeds: [] }
  for (let f = 0; f < feeds; f++) {
    const keys = generateKeys()
    const values: MsgValue[] = []
    let state: FeedState | null = null
    for (let i = 0; i < perFeed; i++) {
      const content = { type: 'post', text: `message ${i} of feed ${f}: the quick brown fox jumps over the lazy dog`, mentions: [] }
      const { key, value } = createMessage(keys, state, content, 1700000000000 + i * 1000)
      values.push(value)
      state = { id: key, sequence: value.sequence, timestamp: value.timestamp }
    }
    out.feeds.push({ values, state: state as FeedState })
  }
  mkdirSync(dir, { recursive: true })
  writeFileSync(file, JSON.stringify(out))
  return out
}

async function run(data: Fixture, workers: number) {
  const validator = workers > 0 ? createBatchValidator({ workers }) : null
  const validate = validator ? (s: FeedState | null, v: MsgValue[]) => validator.validateBatch(s, v) : (s: FeedState | null, v: MsgValue[]) => validateBatch(s, v)
  const a = createNode()
  const b = createNode({}, generateKeys(), new FakeStore(validate))
  for (const f of data.feeds) a.store.preload(f.values, f.state)
  const ids = data.feeds.map((f) => f.values[0]!.author)
  for (const id of ids) {
    a.ebt.request(id)
    b.ebt.request(id)
  }
  const total = data.feeds.reduce((n, f) => n + f.values.length, 0)
  global.gc?.()
  const rssBefore = process.memoryUsage().rss
  let peakRss = rssBefore
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }, 50)
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  const link = connect(b, a, { record: false })
  await b.store.until(() => b.store.appendedMessages === total)
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const used = process.cpuUsage(cpu)
  clearInterval(sampler)
  link.abort()
  await link.done
  await Promise.all([a.ebt.close(), b.ebt.close()])
  await validator?.close()
  return {
    messages: total,
    seconds: +seconds.toFixed(2),
    msgPerSec: Math.round(total / seconds),
    mainCpuUsPerMsg: +((used.user + used.system) / total).toFixed(1),
    appendCalls: b.store.appendCalls,
    peakRssMiB: Math.round(peakRss / 2 ** 20),
  }
}

const rows: Record<string, unknown>[] = []
const loadBefore = loadavg()[0]!
for (const c of CASES) {
  const t0 = Date.now()
  const data = fixture(c.feeds, c.perFeed)
  console.log(`fixture ${c.feeds}×${c.perFeed} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  for (const workers of [0, 2]) {
    const r = await run(data, workers)
    rows.push({ case: `${c.feeds} feeds × ${c.perFeed}`, validation: workers ? `${workers} workers` : 'main thread', ...r })
    console.log(JSON.stringify(rows.at(-1)))
  }
}
const loadAfter = loadavg()[0]!

console.log(`\nEBT in memory, A → B (JSON frames, B validates and stores); ${availableParallelism()} cores; load ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}\n`)
console.log(`${'case'.padEnd(22)} ${'validation'.padEnd(12)} ${'msgs'.padStart(7)} ${'s'.padStart(6)} ${'msg/s'.padStart(8)} ${'appends'.padStart(8)} ${'peak RSS MiB'.padStart(13)}`)
for (const r of rows) {
  console.log(
    `${String(r.case).padEnd(22)} ${String(r.validation).padEnd(12)} ${String(r.messages).padStart(7)} ${String(r.seconds).padStart(6)} ${String(r.msgPerSec).padStart(8)} ${String(r.appendCalls).padStart(8)} ${String(r.peakRssMiB).padStart(13)}`,
  )
}
const outDir = new URL('../../../bench-results/', import.meta.url)
mkdirSync(outDir, { recursive: true })
writeFileSync(
  new URL('ebt.json', outDir),
  `${JSON.stringify({ package: '@ssb/ebt', date: new Date().toISOString(), node: process.version, cores: availableParallelism(), loadAverage: { before: loadBefore, after: loadAfter }, results: rows }, null, 2)}\n`,
)
console.log('\nwrote bench-results/ebt.json')

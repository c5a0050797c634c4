// query.read latency on OUR store only (no network): a quick check of the planner and the
// index reads. Usage: pnpm bench [-- --messages=100000] (prints a table, writes
// bench-results/query-local.json at the repo root). Never fails on time.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { openDb } from '@ssb/db'
import { type FeedState, type MsgValue, createMessage } from '@ssb/feed'
import { generateKeys } from '@ssb/keys'
import { createQuery } from '../src/index.js'

const arg = (name: string, dflt: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt
const MESSAGES = Number(arg('messages', '100000'))
const FEEDS = 40
const RUNS = Number(arg('runs', '9'))
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

const feeds = Array.from({ length: FEEDS }, () => generateKeys())
const states: Array<FeedState | null> = feeds.map(() => null)
const values: MsgValue[] = []
const types = ['post', 'vote', 'about', 'contact', 'pub']
for (let i = 0; i < MESSAGES; i++) {
  const f = (i * 7 + (i >> 4)) % FEEDS
  const content: Record<string, unknown> = { type: types[i % types.length], text: `message ${i}`, n: i }
  if (i % 3 === 0) content.channel = `ch${i % 5}`
  if (i % 7 === 1) content.root = `%root${i % 50}`
  const m = createMessage(feeds[f]!, states[f]!, content, 1_600_000_000_000 + (f % 3) * 7 + Math.floor(i / FEEDS))
  states[f] = { id: m.key, sequence: m.value.sequence, timestamp: m.value.timestamp }
  values.push(m.value)
}

const dir = mkdtempSync(join(tmpdir(), 'ssb-query-bench-'))
const db = await openDb({ keys: generateKeys() }, { dir, sync: 'none' })
let t = performance.now()
for (let i = 0; i < values.length; i += 10_000) await db.addBatch(values.slice(i, i + 10_000))
const loadMs = performance.now() - t
const query = createQuery(db)
const author = feeds[3]!.id
const cases: Array<[string, object]> = [
  ['type', { query: [{ $filter: { value: { content: { type: 'vote' } } } }] }],
  ['type, reverse, limit 20', { query: [{ $filter: { value: { content: { type: 'post' } } } }], reverse: true, limit: 20 }],
  ['author', { query: [{ $filter: { value: { author } } }] }],
  ['author + type', { query: [{ $filter: { value: { author, content: { type: 'about' } } } }] }],
  ['author + sequence range', { query: [{ $filter: { value: { author, sequence: { $gt: 500, $lte: 700 } } } }] }],
  ['type + claimed-time range', { query: [{ $filter: { value: { timestamp: { $gte: 1_600_000_000_300, $lt: 1_600_000_000_900 }, content: { type: 'post' } } } }] }],
  ['channel, limit 500', { query: [{ $filter: { value: { content: { channel: 'ch2' } } } }], limit: 500 }],
  ['root', { query: [{ $filter: { value: { content: { root: '%root3' } } } }] }],
  ['type + $reduce', { query: [{ $filter: { value: { content: { type: 'vote' } } } }, { $reduce: { a: ['value', 'author'], n: { $count: true } } }] }],
  ['nested field (log scan)', { query: [{ $filter: { value: { content: { n: 77 } } } }] }],
]
const rows = []
for (const [name, opts] of cases) {
  const ms: number[] = []
  let items = 0
  for (let r = 0; r < RUNS; r++) {
    t = performance.now()
    items = 0
    for await (const _ of query.read(opts)) items++
    ms.push(performance.now() - t)
  }
  ms.sort((a, b) => a - b)
  const plan = query.explain(opts)
  rows.push({ query: name, index: 'scan' in plan ? 'scan' : plan.index, items, medianMs: +ms[Math.floor(RUNS / 2)]!.toFixed(2), usPerItem: +((ms[Math.floor(RUNS / 2)]! * 1000) / Math.max(items, 1)).toFixed(1) })
}
await db.close()
rmSync(dir, { recursive: true, force: true })
console.log(`${MESSAGES} messages stored in ${Math.round(loadMs)} ms`)
console.table(rows)
mkdirSync(join(repoRoot, 'bench-results'), { recursive: true })
writeFileSync(join(repoRoot, 'bench-results', 'query-local.json'), JSON.stringify({ date: new Date().toISOString(), messages: MESSAGES, runs: RUNS, node: process.version, rows }, null, 2) + '\n')

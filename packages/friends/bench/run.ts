// Hop maintenance cost: bulk load, then incremental edges vs a full recomputation.
// Usage: pnpm bench   (prints a table, writes bench-results/friends.json at the repo root)
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { type FeedId, generateKeys } from '@ssb/keys'
import { type ContactEdge, type ContactWeight, createFriends } from '../src/index.js'

const FEEDS = 10_000
const FOLLOWS_PER_FEED = 40
const OWN_FOLLOWS = 150 // ssb-config dunbar
const UPDATES = 2_000

let seed = 42
const random = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed / 0x7fffffff
}
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!

const ids: FeedId[] = []
for (let i = 0; i < FEEDS; i++) ids.push(generateKeys().id)
const me = ids[0]!
const edges: ContactEdge[] = []
for (let i = 0; i < OWN_FOLLOWS; i++) edges.push({ source: me, dest: pick(ids), value: 1 })
for (const source of ids.slice(1)) {
  for (let i = 0; i < FOLLOWS_PER_FEED; i++) {
    const r = random()
    edges.push({ source, dest: pick(ids), value: r < 0.9 ? 1 : r < 0.95 ? -1 : -2 })
  }
}

const rows: { name: string; ops: number; msTotal: number; usPerOp: number }[] = []
function measure(name: string, ops: number, fn: () => void): void {
  const start = process.hrtime.bigint()
  fn()
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  rows.push({ name, ops, msTotal: +ms.toFixed(1), usPerOp: +((ms * 1000) / ops).toFixed(1) })
}

for (const max of [2, 3]) {
  const friends = createFriends({ id: me }, { hops: max })
  measure(`bulk load ${edges.length} edges (hops ${max})`, 1, () => friends.addEdges(edges))
  const inReach = Object.keys(friends.hops()).length
  const updates: ContactEdge[] = []
  for (let i = 0; i < UPDATES; i++) {
    const source = i % 4 === 0 ? me : pick(ids)
    const r = random()
    updates.push({ source, dest: pick(ids), value: (r < 0.7 ? 1 : r < 0.85 ? -1 : -2) as ContactWeight })
  }
  let events = 0
  friends.onReplicationChange(() => events++, { old: false })
  measure(`incremental edge (hops ${max}, ${inReach} in reach)`, UPDATES, () => {
    for (const e of updates) friends.addEdge(e)
  })
  const ownOnly = updates.filter((e) => e.source === me)
  measure(`incremental own follow/block (hops ${max})`, ownOnly.length, () => {
    for (const e of ownOnly) friends.addEdge({ ...e, value: e.value === 1 ? -1 : 1 })
  })
  measure(`full recompute, hops({max: ${max + 1}}) (hops ${max})`, 20, () => {
    for (let i = 0; i < 20; i++) friends.hops({ max: max + 1 })
  })
  console.log(`hops ${max}: ${events} replication events during updates`)
}

console.log(`\n${FEEDS} feeds, ${edges.length} edges; ${availableParallelism()} cores\n`)
console.log(`${'case'.padEnd(52)} ${'ops'.padStart(6)} ${'ms'.padStart(9)} ${'µs/op'.padStart(10)}`)
for (const r of rows) console.log(`${r.name.padEnd(52)} ${String(r.ops).padStart(6)} ${r.msTotal.toFixed(1).padStart(9)} ${r.usPerOp.toFixed(1).padStart(10)}`)

const outDir = new URL('../../../bench-results/', import.meta.url)
mkdirSync(outDir, { recursive: true })
writeFileSync(
  new URL('friends.json', outDir),
  `${JSON.stringify({ package: '@ssb/friends', date: new Date().toISOString(), node: process.version, cores: availableParallelism(), feeds: FEEDS, edges: edges.length, results: rows }, null, 2)}\n`,
)
console.log('\nwrote bench-results/friends.json')

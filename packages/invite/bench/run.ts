// Invite code parsing rate, and the cost of create/use on a table file (each one an fsync'd rewrite).
// Usage: pnpm bench   (prints a table, writes bench-results/invite.json at the repo root)
import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeys } from '@ssb/keys'
import { formatLegacyInvite, formatMultiserverInvite, openInviteTable, parseInviteCode } from '../src/index.js'

const PARSES = 50_000
const TABLE_OPS = 200

const rows: { name: string; ops: number; msTotal: number; opsPerSec: number }[] = []
async function measure(name: string, ops: number, fn: () => unknown): Promise<void> {
  const start = process.hrtime.bigint()
  await fn()
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  rows.push({ name, ops, msTotal: +ms.toFixed(1), opsPerSec: Math.round((ops * 1000) / ms) })
}

const pub = generateKeys()
const seeds = Array.from({ length: 100 }, () => generateKeys().secretKey.slice(0, 32))
const legacy = seeds.map((s) => formatLegacyInvite({ host: 'pub.example.com', port: 8008, key: pub.id }, s))
const multi = seeds.map((s) => formatMultiserverInvite({ transport: 'net', host: '203.0.113.7', port: 8008, key: pub.id }, s))

await measure('parse legacy code', PARSES, () => {
  for (let i = 0; i < PARSES; i++) parseInviteCode(legacy[i % legacy.length])
})
await measure('parse multiserver code', PARSES, () => {
  for (let i = 0; i < PARSES; i++) parseInviteCode(multi[i % multi.length])
})

const dir = await mkdtemp(join(tmpdir(), 'invite-bench-'))
const table = await openInviteTable(join(dir, 'invites.json'))
const guests: string[] = []
await measure(`table.create (fsync each, up to ${TABLE_OPS} records)`, TABLE_OPS, async () => {
  for (let i = 0; i < TABLE_OPS; i++) guests.push((await table.create({ uses: 2 })).guest.id)
})
await measure('table.use (fsync each)', TABLE_OPS, async () => {
  for (const g of guests) await table.use(g)
})
await table.close()
await rm(dir, { recursive: true, force: true })

console.log(`\n${availableParallelism()} cores, node ${process.version}\n`)
console.log(`${'case'.padEnd(46)} ${'ops'.padStart(7)} ${'ms'.padStart(9)} ${'ops/s'.padStart(10)}`)
for (const r of rows) console.log(`${r.name.padEnd(46)} ${String(r.ops).padStart(7)} ${r.msTotal.toFixed(1).padStart(9)} ${String(r.opsPerSec).padStart(10)}`)

const outDir = new URL('../../../bench-results/', import.meta.url)
mkdirSync(outDir, { recursive: true })
writeFileSync(
  new URL('invite.json', outDir),
  `${JSON.stringify({ package: '@ssb/invite', date: new Date().toISOString(), node: process.version, cores: availableParallelism(), results: rows }, null, 2)}\n`,
)
console.log('\nwrote bench-results/invite.json')

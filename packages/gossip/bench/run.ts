// Address parsing, table inserts, and the cost of one scheduler tick over a large table.
// Usage: pnpm bench   (prints a table, writes bench-results/gossip.json at the repo root)
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { generateKeys } from '@ssb/keys'
import { parseAddresses, PeerTable, Scheduler, type Clock } from '../src/index.js'

const PEERS = 10_000
const PARSES = 50_000
const TICKS = 200

const keys = Array.from({ length: PEERS }, () => generateKeys())
const b64 = (i: number) => keys[i % PEERS]!.public.replace(/\.ed25519$/, '')
const host = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`

const rows: { name: string; ops: number; msTotal: number; usPerOp: number }[] = []
function measure(name: string, ops: number, fn: () => void): void {
  const start = process.hrtime.bigint()
  fn()
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  rows.push({ name, ops, msTotal: +ms.toFixed(1), usPerOp: +((ms * 1000) / ops).toFixed(2) })
}

const forms: Array<[string, (i: number) => unknown]> = [
  ['net multiserver', (i) => `net:${host(i)}:8008~shs:${b64(i)}`],
  ['net + ws alternatives', (i) => `net:${host(i)}:8008~shs:${b64(i)};ws://${host(i)}:8989~shs:${b64(i)}`],
  ['IPv6 net', (i) => `net:fe80::${(i & 0xffff).toString(16)}:8008~shs:${b64(i)}`],
  ['legacy host:port:@key', (i) => `${host(i)}:8008:${keys[i % PEERS]!.id}`],
  ['object {host, port, key}', (i) => ({ host: host(i), port: 8008, key: keys[i % PEERS]!.id })],
]
for (const [name, make] of forms) {
  const inputs = Array.from({ length: PARSES }, (_, i) => make(i))
  measure(`parse ${name}`, PARSES, () => {
    for (const x of inputs) parseAddresses(x)
  })
}

const table = new PeerTable({ maxPeers: PEERS })
measure(`table.add ${PEERS} pub addresses`, PEERS, () => {
  for (let i = 0; i < PEERS; i++) table.add(`net:${host(i)}:8008~shs:${b64(i)}`, i % 100 === 0 ? 'seed' : 'pub')
})
const full = new PeerTable({ maxPeers: 1000 })
for (let i = 0; i < 1000; i++) full.add(`net:${host(i)}:8008~shs:${b64(i)}`, 'pub')
measure('table.add into a full 1000-peer table (pub flood)', 5000, () => {
  for (let i = 0; i < 5000; i++) full.add(`net:${host(i + 1000)}:8008~shs:${b64(i + 1000)}`, 'pub')
})

let now = 0
const clock: Clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => {} }
const followed = new Set(keys.slice(0, 150).map((k) => k.id))
const scheduler = new Scheduler(
  {
    table,
    clock,
    dial: () => new Promise<void>(() => {}),
    disconnect: () => {},
    score: (p) => (followed.has(p.key) ? 2 : 0),
  },
  { connections: 3, maxDials: 3 },
)
scheduler.tick() // three dials in flight: later ticks scan the whole table and dial nothing
measure(`scheduler tick, ${PEERS} peers (full scan)`, TICKS, () => {
  for (let i = 0; i < TICKS; i++) {
    now += 2000
    scheduler.tick()
  }
})
scheduler.stop()

console.log(`\n${PEERS} peers; ${availableParallelism()} cores\n`)
console.log(`${'case'.padEnd(52)} ${'ops'.padStart(7)} ${'ms'.padStart(9)} ${'µs/op'.padStart(10)}`)
for (const r of rows) console.log(`${r.name.padEnd(52)} ${String(r.ops).padStart(7)} ${r.msTotal.toFixed(1).padStart(9)} ${r.usPerOp.toFixed(2).padStart(10)}`)

const outDir = new URL('../../../bench-results/', import.meta.url)
mkdirSync(outDir, { recursive: true })
writeFileSync(
  new URL('gossip.json', outDir),
  `${JSON.stringify({ package: '@ssb/gossip', date: new Date().toISOString(), node: process.version, cores: availableParallelism(), peers: PEERS, results: rows }, null, 2)}\n`,
)
console.log('\nwrote bench-results/gossip.json')

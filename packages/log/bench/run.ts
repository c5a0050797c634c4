// pnpm bench: throughput and latency of @ssb/log on this machine. Prints a table, writes
// bench-results/log.json at the repo root. Never fails on time.
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Log, openLog } from '@ssb/log'

const RECORDS = Number(process.argv[2] ?? 1_000_000)
const AVG_BYTES = 700

interface Row {
  name: string
  ops: number
  seconds: number
  opsPerSec: number
  mbPerSec?: number
  note?: string
}

const rows: Row[] = []

function record(i: number): Uint8Array {
  const size = AVG_BYTES - 100 + ((i * 7919) % 201) // 600..800 bytes, mean 700
  const r = new Uint8Array(size)
  r.fill(i & 0xff)
  new DataView(r.buffer).setUint32(0, i)
  return r
}

async function timed(name: string, ops: number, bytes: number | null, fn: () => Promise<void>, note?: string): Promise<Row> {
  const t0 = performance.now()
  await fn()
  const seconds = (performance.now() - t0) / 1000
  const row: Row = { name, ops, seconds, opsPerSec: ops / seconds }
  if (bytes !== null) row.mbPerSec = bytes / 1e6 / seconds
  if (note) row.note = note
  rows.push(row)
  console.log(`  ${name}: ${fmt(row.opsPerSec)} ops/s in ${seconds.toFixed(2)} s${row.mbPerSec ? ` (${row.mbPerSec.toFixed(0)} MB/s)` : ''}`)
  return row
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

const records = Array.from({ length: 4096 }, (_, i) => record(i))
const pick = (i: number) => records[i & 4095]!
const totalBytes = (n: number) => {
  let b = 0
  for (let i = 0; i < n; i++) b += pick(i).length
  return b
}

const root = await mkdtemp(join(tmpdir(), 'ssb-log-bench-'))
try {
  const bigDir = join(root, 'big')
  let log: Log = await openLog({ dir: bigDir, sync: 'none' })
  const offsets: number[] = []
  await timed(`append x${fmt(RECORDS)} (~700 B, sync none, sequential await)`, RECORDS, totalBytes(RECORDS), async () => {
    for (let i = 0; i < RECORDS; i++) offsets.push(await log.append(pick(i)))
  }, 'until the last append resolved (data handed to the OS, not yet fsynced)')
  await timed(`  then close (write + fsync the rest)`, 1, null, () => log.close(), 'bounded by the disk')

  const t0 = performance.now()
  log = await openLog({ dir: bigDir })
  const coldOpenMs = performance.now() - t0
  rows.push({ name: 'cold open (checkpoint present)', ops: 1, seconds: coldOpenMs / 1000, opsPerSec: 1000 / coldOpenMs })
  console.log(`  cold open: ${coldOpenMs.toFixed(1)} ms (end ${fmt(log.end)} bytes, ${fmt(log.count)} records)`)

  await timed('forward scan (stream)', RECORDS, log.end, async () => {
    let n = 0
    for await (const _ of log.stream()) n++
    if (n !== RECORDS) throw new Error(`scanned ${n}`)
  })
  await timed('reverse scan (stream reverse)', RECORDS, log.end, async () => {
    let n = 0
    for await (const _ of log.stream({ reverse: true })) n++
    if (n !== RECORDS) throw new Error(`scanned ${n}`)
  })
  const GETS = 50_000
  let seed = 12345
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
  await timed('recent get (last 10k records, cache hits)', GETS, null, async () => {
    for (let i = 0; i < GETS; i++) await log.get(offsets[offsets.length - 1 - Math.floor(rand() * 10_000)]!)
  })
  // Context for the get numbers: what one async 4 KiB pread costs on this machine right now.
  const raw = await open(join(bigDir, 'log.data'), 'r')
  const page = Buffer.allocUnsafe(4096)
  await timed('baseline: raw fs read 4 KiB at random (async, concurrency 1)', 20_000, null, async () => {
    for (let i = 0; i < 20_000; i++) await raw.read(page, 0, 4096, Math.floor(rand() * (log.end - 4096)))
  }, 'no @ssb/log code: the floor for an uncached get')
  await raw.close()
  await timed('random get (concurrency 1)', GETS, null, async () => {
    for (let i = 0; i < GETS; i++) await log.get(offsets[Math.floor(rand() * offsets.length)]!)
  })
  await timed('random get (concurrency 16)', GETS, null, async () => {
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = 0; i < GETS / 16; i++) await log.get(offsets[Math.floor(rand() * offsets.length)]!)
      }),
    )
  })
  await log.close()

  await rm(join(bigDir, 'log.checkpoint'))
  const t1 = performance.now()
  log = await openLog({ dir: bigDir })
  const scanOpenMs = performance.now() - t1
  rows.push({ name: 'open without checkpoint (verifies whole log)', ops: 1, seconds: scanOpenMs / 1000, opsPerSec: 1000 / scanOpenMs })
  console.log(`  open without checkpoint: ${scanOpenMs.toFixed(0)} ms`)
  for (let i = 0; i < offsets.length; i += 10) if (i % 100 === 0) await log.erase(offsets[i]!)
  await timed('compact (1% erased)', RECORDS, log.end, () => log.compact())
  await log.close()
  await rm(bigDir, { recursive: true })

  const syncDir = join(root, 'sync')
  log = await openLog({ dir: syncDir })
  const BATCHES = 100
  await timed('appendBatch of 1000 (sync always)', BATCHES * 1000, BATCHES * totalBytes(1000), async () => {
    const batch = Array.from({ length: 1000 }, (_, i) => pick(i))
    for (let i = 0; i < BATCHES; i++) await log.appendBatch(batch)
  }, 'records/s; one write + one fdatasync per batch')
  const SINGLE = 1000
  await timed('append (sync always, concurrency 1)', SINGLE, totalBytes(SINGLE), async () => {
    for (let i = 0; i < SINGLE; i++) await log.append(pick(i))
  }, 'one fdatasync per append')
  const CONC = 64
  const PER = 300
  await timed(`append (sync always, concurrency ${CONC})`, CONC * PER, CONC * totalBytes(PER), async () => {
    await Promise.all(Array.from({ length: CONC }, async (_, w) => {
      for (let i = 0; i < PER; i++) await log.append(pick(w * PER + i))
    }))
  }, 'group commit: concurrent appends share a write + fdatasync')
  await log.close()

  console.log('\n| benchmark | ops/s | MB/s | seconds |\n|---|---:|---:|---:|')
  for (const r of rows) console.log(`| ${r.name} | ${fmt(r.opsPerSec)} | ${r.mbPerSec ? r.mbPerSec.toFixed(0) : ''} | ${r.seconds.toFixed(3)} |`)
  const out = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bench-results')
  await mkdir(out, { recursive: true })
  await writeFile(join(out, 'log.json'), JSON.stringify({ package: '@ssb/log', node: process.version, date: new Date().toISOString(), records: RECORDS, rows }, null, 2))
  console.log(`\nwrote ${join(out, 'log.json')}`)
} finally {
  await rm(root, { recursive: true, force: true })
}

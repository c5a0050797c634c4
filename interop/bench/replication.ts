// pnpm bench (in interop): replication throughput, JS ssb-server 16 vs ours, in one run.
// For 10 and 1,000 feeds and 20,000 and 100,000 messages: reference → reference, reference →
// ours and ours → ours, each into a FRESH receiver in its own process that follows every feed
// and dials the source; timed from the dial until the receiver's clock has every message.
// Prints a table and writes bench-results/replication.json at the repo root.
// Ours runs from the built dist in child processes (source and receiver alike; see receivers.ts).
// Options: --sizes=20000,100000 --feeds=10,1000 --ref-cap-s=180 --pairs=rr,ro,oo --from-source --out=bench-results/replication.json
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { SsbClient } from '../src/client.js'
import { startReferenceNode, type ReferenceNode } from '../src/reference-node.js'
import { referenceReplicates, waitForReferenceClock, writeToReference } from '../src/replication-helpers.js'
import { contactMessages, expectedClock, generateKeys, keysToJSON, makeFixture, type BenchFixture } from './fixtures.js'
import { ourReceiver, ourSource, prepareOurNode, procCpuS, referenceReceiver, runtimeBaseline, type Receiver, type SyncResult } from './receivers.js'

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback
const SIZES = arg('sizes', '20000,100000').split(',').map(Number).sort((a, b) => a - b)
const FEEDS = arg('feeds', '10,1000').split(',').map(Number)
/** Run our nodes under tsx on src instead of the built dist. */
const FROM_SOURCE = process.argv.includes('--from-source')
/** A run that involves the JS reference stops here and reports what it managed (brief: ~3 min). */
const REF_CAP_MS = Number(arg('ref-cap-s', '180')) * 1000
const OURS_TIMEOUT_MS = 600_000
/** Messages per createWriteStream / addBatch call while loading the sources. */
const LOAD_CHUNK = 10_000
/** toolchain.md: reference → reference, 20,000 messages in 4.4 s on this machine. */
const DOCUMENTED_REFERENCE_MSG_PER_S = 4_600

type Pair = 'reference → reference' | 'reference → ours' | 'ours → ours'
const ALL_PAIRS: Pair[] = ['reference → reference', 'reference → ours', 'ours → ours']
const PAIRS = ALL_PAIRS.filter((p) => arg('pairs', 'rr,ro,oo').split(',').includes(p.startsWith('reference') ? (p.endsWith('ours') ? 'ro' : 'rr') : 'oo'))

interface Row extends SyncResult {
  pair: Pair
  /** CPU seconds the source process used during the sync. */
  sourceCpuS: number
  messages: number
  feeds: number
  msgPerSec: number
  capped: boolean
}

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`)
const rows: Row[] = []
const loads: Array<{ feeds: number; messages: number; referenceLoadS: number; oursLoadS: number }> = []
const loadBefore = loadavg()[0]!
const started = Date.now()

interface Sources {
  ref: ReferenceNode
  refClient: SsbClient
  ours: Awaited<ReturnType<typeof ourSource>>
}

async function startSources(fx: BenchFixture): Promise<Sources> {
  const ids = fx.feeds.map((k) => k.id)
  const refKeys = generateKeys()
  const ref = await startReferenceNode({ keys: keysToJSON(refKeys) })
  const refClient = await ref.client()
  await writeToReference(refClient, contactMessages(refKeys, ids) as never)
  log('reference source: contacts written')
  await referenceReplicates(refClient, ids, 120_000)
  log('reference source: follows every feed')
  const ours = await ourSource(ids, FROM_SOURCE)
  return { ref, refClient, ours }
}

/** Bring both sources from `from` to `to` messages of the fixture. */
async function loadSources(s: Sources, fx: BenchFixture, from: number, to: number): Promise<void> {
  let t = performance.now()
  for (let i = from; i < to; i += LOAD_CHUNK) {
    await writeToReference(s.refClient, fx.messages.slice(i, Math.min(to, i + LOAD_CHUNK)) as never)
    log(`reference source: ${Math.min(to, i + LOAD_CHUNK)} written`)
  }
  await waitForReferenceClock(s.refClient, expectedClock(fx, to), 900_000)
  const referenceLoadS = (performance.now() - t) / 1000
  t = performance.now()
  await s.ours.load(fx.messages.slice(from, to))
  const oursLoadS = (performance.now() - t) / 1000
  loads.push({ feeds: fx.feeds.length, messages: to, referenceLoadS: round(referenceLoadS, 1), oursLoadS: round(oursLoadS, 1) })
  log(`sources hold ${to} messages (reference load ${referenceLoadS.toFixed(1)} s, ours ${oursLoadS.toFixed(1)} s)`)
}

async function runPair(pair: Pair, s: Sources, fx: BenchFixture, messages: number): Promise<void> {
  const ids = fx.feeds.map((k) => k.id)
  const receiver: Receiver = pair.endsWith('ours') ? await ourReceiver(ids, FROM_SOURCE) : await referenceReceiver(ids)
  const source = pair.startsWith('reference') ? s.ref.address : s.ours.address
  const involvesReference = pair.includes('reference')
  const sourceCpu = () => procCpuS(pair.startsWith('reference') ? s.ref.pid : s.ours.pid)
  try {
    const cpu0 = sourceCpu()
    const r = await receiver.sync(source, expectedClock(fx, messages), involvesReference ? REF_CAP_MS : OURS_TIMEOUT_MS)
    const sourceCpuS = sourceCpu() - cpu0
    const row: Row = { pair, messages, feeds: fx.feeds.length, ...r, sourceCpuS, msgPerSec: r.received / (r.ms / 1000), capped: !r.complete }
    rows.push(row)
    log(`${pair} ${messages}/${fx.feeds.length} feeds: ${fmt(row)}`)
  } finally {
    await receiver.stop()
  }
}

const round = (n: number, d = 0) => Math.round(n * 10 ** d) / 10 ** d
function fmt(r: Row): string {
  return `${(r.ms / 1000).toFixed(2)} s, ${Math.round(r.msgPerSec)} msg/s, RSS ${r.peakRssMiB.toFixed(0)} MiB, CPU ${r.cpuS.toFixed(2)} s (source ${r.sourceCpuS.toFixed(2)} s)${r.capped ? ` (CAPPED at ${REF_CAP_MS / 1000} s: ${r.received}/${r.messages})` : ''}`
}

await prepareOurNode(FROM_SOURCE)
for (const feeds of FEEDS) {
  log(`fixture: ${Math.max(...SIZES)} messages over ${feeds} feeds`)
  const fx = makeFixture(feeds, Math.max(...SIZES))
  const sources = await startSources(fx)
  try {
    let loaded = 0
    for (const size of SIZES) {
      await loadSources(sources, fx, loaded, size)
      loaded = size
      for (const pair of PAIRS) await runPair(pair, sources, fx, size)
    }
  } finally {
    await sources.ours.stop()
    await sources.ref.stop()
  }
}

const baseline = await runtimeBaseline()

// ---- report ----
const header = ['pair', 'messages', 'feeds', 'wall s', 'msg/s', 'recv peak RSS MiB', 'recv RSS at start', 'recv CPU s', 'source CPU s', 'note']
const table = rows.map((r) => [
  r.pair,
  String(r.messages),
  String(r.feeds),
  (r.ms / 1000).toFixed(2),
  String(Math.round(r.msgPerSec)),
  r.peakRssMiB.toFixed(0),
  r.startRssMiB.toFixed(0),
  r.cpuS.toFixed(2),
  r.sourceCpuS.toFixed(2),
  r.capped ? `capped at ${REF_CAP_MS / 1000} s (${r.received} received)` : '',
])
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)))
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')
console.log(line(header))
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'))
for (const row of table) console.log(line(row))

const comparisons = []
for (const feeds of FEEDS) {
  for (const messages of SIZES) {
    const find = (pair: Pair) => rows.find((r) => r.pair === pair && r.feeds === feeds && r.messages === messages)
    const rr = find('reference → reference')
    const oo = find('ours → ours')
    if (!rr || !oo) continue
    comparisons.push({
      feeds,
      messages,
      speedupVsReference: round(oo.msgPerSec / rr.msgPerSec, 1),
      speedupVsDocumentedReference: round(oo.msgPerSec / DOCUMENTED_REFERENCE_MSG_PER_S, 1),
      rssRatio: round(oo.peakRssMiB / rr.peakRssMiB, 2),
      /** Same ratio on what the sync itself added (peak − RSS at the dial): takes out the runtime's own share. */
      rssGrowthRatio: round((oo.peakRssMiB - oo.startRssMiB) / (rr.peakRssMiB - rr.startRssMiB), 2),
      meetsSpeedTarget: oo.msgPerSec >= 5 * rr.msgPerSec,
      meetsRssTarget: oo.peakRssMiB <= rr.peakRssMiB / 2,
    })
  }
}
console.log('\nours → ours vs reference → reference (targets: ≥ 5× msg/s, ≤ 0.5× peak RSS)')
for (const c of comparisons) {
  console.log(
    `  ${c.messages} msgs / ${c.feeds} feeds: ${c.speedupVsReference}× msg/s (${c.speedupVsDocumentedReference}× the documented 4,600 msg/s), RSS ratio ${c.rssRatio} (growth ratio ${c.rssGrowthRatio})` +
      ` → speed ${c.meetsSpeedTarget ? 'MET' : 'NOT met'}, RSS ${c.meetsRssTarget ? 'MET' : 'NOT met'}`,
  )
}
console.log(`runtime baseline (idle process, no server): node ${baseline.nodeMiB.toFixed(0)} MiB, node --import tsx ${baseline.tsxMiB.toFixed(0)} MiB — ours runs ${FROM_SOURCE ? 'under tsx (--from-source)' : 'from dist with plain node'}, like the reference`)
if (rows.some((r) => r.capped)) console.log(`\nNOTE: runs marked "capped" were stopped after ${REF_CAP_MS / 1000} s; msg/s is over what arrived by then.`)

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const out = resolve(repoRoot, arg('out', 'bench-results/replication.json'))
mkdirSync(dirname(out), { recursive: true })
writeFileSync(
  out,
  JSON.stringify(
    {
      package: '@ssb/interop',
      bench: 'replication',
      date: new Date().toISOString(),
      node: process.version,
      cores: cpus().length,
      loadAverage: { before: round(loadBefore, 2), after: round(loadavg()[0]!, 2) },
      totalSeconds: round((Date.now() - started) / 1000),
      method:
        'fresh receiver per run in its own process, following every feed, dials the source; timed from the dial until its clock has every message ' +
        '(reference receiver: getVectorClock polled every 250 ms; ours: db.onMessage). RSS = receiver peak (VmHWM / resourceUsage().maxRSS), CPU = receiver user+system during the sync. ' +
        (FROM_SOURCE ? 'Ours ran under tsx on src.' : 'Ours ran from the built dist with plain node (source and receiver each in its own process).'),
      refCapSeconds: REF_CAP_MS / 1000,
      oursFrom: FROM_SOURCE ? 'src (tsx)' : 'dist',
      runtimeBaselineMiB: { node: round(baseline.nodeMiB, 1), nodeWithTsx: round(baseline.tsxMiB, 1) },
      sourceLoads: loads,
      results: rows.map((r) => ({ ...r, ms: round(r.ms), msgPerSec: round(r.msgPerSec), peakRssMiB: round(r.peakRssMiB, 1), startRssMiB: round(r.startRssMiB, 1), cpuS: round(r.cpuS, 2), sourceCpuS: round(r.sourceCpuS, 2) })),
      comparisons,
    },
    null,
    2,
  ),
)
console.log(`\nwrote ${out}`)

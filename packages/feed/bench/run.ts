// Validation throughput: ours single-thread, ours with 2 verify workers, ssb-validate 4.1.4.
// Usage: pnpm bench   (prints a table, writes bench-results/feed.json at the repo root)
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { availableParallelism, loadavg } from 'node:os'
import { feedIdToPublicKey, fromBase64, generateKeys, verify } from '@ssb/keys'
import { createBatchValidator, createMessage, type FeedState, type MsgValue, validateMessage } from '../src/index.js'

const FEEDS = 20
const PER_FEED = 1000
const ROUNDS = 5

const require = createRequire(import.meta.url)
const ssbValidate = require('ssb-validate') as {
  initial(): unknown
  append(state: unknown, hmacKey: unknown, msg: unknown): unknown
}

const WORDS = ['scuttlebutt', 'gossip', 'feed', 'über', 'café', 'hello', 'world', 'pub', 'sync', '😀', 'message', 'peer']
function text(i: number): string {
  const n = 10 + (i % 40)
  const out: string[] = []
  for (let w = 0; w < n; w++) out.push(WORDS[(i * 7 + w * 13) % WORDS.length]!)
  return out.join(' ')
}

function buildFeeds(): MsgValue[][] {
  const feeds: MsgValue[][] = []
  for (let f = 0; f < FEEDS; f++) {
    const keys = generateKeys()
    const msgs: MsgValue[] = []
    let state: FeedState | null = null
    for (let i = 0; i < PER_FEED; i++) {
      const content = i % 5 === 0 ? { type: 'vote', vote: { link: state?.id ?? null, value: 1 } } : { type: 'post', text: text(i), mentions: [] }
      const m = createMessage(keys, state, content, 1700000000000 + i * 1000)
      msgs.push(JSON.parse(JSON.stringify(m.value)) as MsgValue)
      state = { id: m.key, sequence: i + 1, timestamp: m.value.timestamp }
    }
    feeds.push(msgs)
  }
  return feeds
}

function oursSingle(feeds: MsgValue[][]): number {
  let n = 0
  for (const feed of feeds) {
    let state: FeedState | null = null
    for (const msg of feed) {
      state = validateMessage(state, msg).state
      n++
    }
  }
  return n
}

async function oursBatched(validator: ReturnType<typeof createBatchValidator>, feeds: MsgValue[][]): Promise<number> {
  let n = 0
  for (const feed of feeds) {
    const r = await validator.validateBatch(null, feed)
    if (r.error) throw r.error
    n += r.valid.length
  }
  return n
}

/** The floor under any validator: one Ed25519 verify per message, inputs decoded beforehand. */
function verifyOnly(jobs: { pk: Uint8Array; sig: Uint8Array; data: Uint8Array }[]): number {
  let n = 0
  for (const j of jobs) if (verify(j.pk, j.sig, j.data)) n++
  return n
}

function verifyJobs(feeds: MsgValue[][]): { pk: Uint8Array; sig: Uint8Array; data: Uint8Array }[] {
  return feeds.flat().map((m) => {
    const { signature, ...unsigned } = m
    return {
      pk: feedIdToPublicKey(m.author),
      sig: fromBase64(signature.slice(0, 88)),
      data: Buffer.from(JSON.stringify(unsigned, null, 2), 'utf8'),
    }
  })
}

// Raw verify loop on `threads` threads: how far this machine scales Ed25519 at all.
const RAW_VERIFY_WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const sodium = require(workerData.sodium)
const { pk, sig, data } = workerData
parentPort.on('message', (n) => {
  let ok = 0
  for (let i = 0; i < n; i++) if (sodium.crypto_sign_verify_detached(sig, data, pk)) ok++
  parentPort.postMessage(ok)
})
`
function startRawVerifiers(threads: number, job: { pk: Uint8Array; sig: Uint8Array; data: Uint8Array }): Worker[] {
  const sodiumPath = require.resolve('sodium-native')
  return Array.from({ length: threads }, () => new Worker(RAW_VERIFY_WORKER, { eval: true, workerData: { sodium: sodiumPath, ...job } }))
}
async function rawVerifyParallel(workers: Worker[], total: number): Promise<number> {
  const each = Math.ceil(total / workers.length)
  const counts = await Promise.all(
    workers.map((w) => new Promise<number>((resolve) => {
      w.once('message', resolve)
      w.postMessage(each)
    })),
  )
  return counts.reduce((a, b) => a + b, 0)
}

function jsValidate(feeds: MsgValue[][]): number {
  const state = ssbValidate.initial()
  let n = 0
  for (const feed of feeds) {
    for (const msg of feed) {
      ssbValidate.append(state, null, msg)
      n++
    }
  }
  return n
}

interface Rate {
  rate: number
  cpuUsPerMsg: number
}

async function once(fn: () => number | Promise<number>): Promise<Rate> {
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  const n = await fn()
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const used = process.cpuUsage(cpu)
  return { rate: n / seconds, cpuUsPerMsg: (used.user + used.system) / n }
}

/**
 * Best wall-clock rate of each method over ROUNDS rounds, with CPU µs per message (all threads)
 * of that run. Methods are interleaved round by round so a busy machine hurts them alike.
 */
async function measureAll(methods: Record<string, () => number | Promise<number>>): Promise<Record<string, Rate>> {
  const best: Record<string, Rate> = {}
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, fn] of Object.entries(methods)) {
      const m = await once(fn)
      if (!best[name] || m.rate > best[name].rate) best[name] = m
    }
  }
  return best
}

const t0 = Date.now()
const feeds = buildFeeds()
const buildSeconds = (Date.now() - t0) / 1000
const total = FEEDS * PER_FEED
const warm = feeds.map((f) => f.slice(0, 300))
oursSingle(warm)
jsValidate(warm)
const validator = createBatchValidator({ workers: 2 })
await oursBatched(validator, warm)

const loadBefore = loadavg()[0]!
const jobs = verifyJobs(feeds)
const rawWorkers = startRawVerifiers(2, jobs[1]!)
await rawVerifyParallel(rawWorkers, 200)
const results = await measureAll({
  ceiling: () => verifyOnly(jobs),
  ceiling2: () => rawVerifyParallel(rawWorkers, total),
  js: () => jsValidate(feeds),
  single: () => oursSingle(feeds),
  batched: () => oursBatched(validator, feeds),
})
const { ceiling, ceiling2, js, single, batched } = results as Record<'ceiling' | 'ceiling2' | 'js' | 'single' | 'batched', Rate>
await Promise.all(rawWorkers.map((w) => w.terminate()))
await validator.close()

const rows = [
  { name: 'Ed25519 verify only (1 thread, ceiling)', ...ceiling },
  { name: 'Ed25519 verify only (2 threads, ceiling)', ...ceiling2 },
  { name: 'ssb-validate 4.1.4 append', ...js },
  { name: '@ssb/feed validateMessage (1 thread)', ...single },
  { name: '@ssb/feed validateBatch (2 workers)', ...batched },
].map((r) => ({
  name: r.name,
  msgPerSec: Math.round(r.rate),
  cpuUsPerMsg: +r.cpuUsPerMsg.toFixed(1),
  vsJs: +(r.rate / js.rate).toFixed(2),
  vsSingle: +(r.rate / single.rate).toFixed(2),
}))

const loadAfter = loadavg()[0]!
console.log(`\n${total} messages (${FEEDS} feeds × ${PER_FEED}), built in ${buildSeconds.toFixed(1)} s; best of ${ROUNDS} rounds; ${availableParallelism()} cores; load ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}\n`)
console.log(`${'method'.padEnd(40)} ${'msg/s'.padStart(10)} ${'CPU µs/msg'.padStart(11)} ${'× JS'.padStart(7)} ${'× 1-thread'.padStart(11)}`)
for (const r of rows) {
  console.log(`${r.name.padEnd(40)} ${String(r.msgPerSec).padStart(10)} ${r.cpuUsPerMsg.toFixed(1).padStart(11)} ${r.vsJs.toFixed(2).padStart(7)} ${r.vsSingle.toFixed(2).padStart(11)}`)
}

const outDir = new URL('../../../bench-results/', import.meta.url)
mkdirSync(outDir, { recursive: true })
writeFileSync(
  new URL('feed.json', outDir),
  `${JSON.stringify({ package: '@ssb/feed', date: new Date().toISOString(), node: process.version, cores: availableParallelism(), loadAverage: { before: loadBefore, after: loadAfter }, messages: total, feeds: FEEDS, perFeed: PER_FEED, rounds: ROUNDS, results: rows }, null, 2)}\n`,
)
console.log('\nwrote bench-results/feed.json')

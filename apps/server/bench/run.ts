// @ssb/server benchmark, ours vs the JavaScript ssb-server 16 in the same run, each server in its
// own process on 127.0.0.1:
// - RPC round trips per second (`whoami`) over one connection, one at a time and 32 in flight;
// - `publish`es per second over one connection, one at a time and 32 in flight;
// - handshake + first reply latency: TCP connect, SHS, box stream, `whoami` answered (200 connections).
// Prints a table and writes bench-results/server.json at the repo root.
//
//   pnpm --filter @ssb/server bench        (or: cd apps/server && npx tsx --conditions=@ssb/source bench/run.ts)
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { connect, startJs, startOurs, type BenchClient, type BenchServer, type ClientKind } from './peers.js'

const CONCURRENCY = 32
const LATENCY_CONNECTIONS = 200
/** Each throughput run stops starting new calls after this long (the reference publishes ~11/s). */
const RUN_BUDGET_MS = 4_000
const WARMUP_CALLS = 200

interface Throughput {
  name: string
  server: string
  client: ClientKind
  inFlight: number
  ops: number
  seconds: number
  perSecond: number
  unit: string
}

interface Latency {
  name: string
  server: string
  client: ClientKind
  connections: number
  medianMs: number
  p99Ms: number
  meanMs: number
  minMs: number
  maxMs: number
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits

/** Runs `op` with `inFlight` calls outstanding until `maxOps` or the time budget is reached. */
async function throughput(op: (i: number) => Promise<unknown>, inFlight: number, maxOps: number): Promise<{ ops: number; seconds: number }> {
  let started = 0
  const t0 = performance.now()
  const deadline = t0 + RUN_BUDGET_MS
  const worker = async (): Promise<void> => {
    while (started < maxOps && performance.now() < deadline) await op(started++)
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  return { ops: started, seconds: (performance.now() - t0) / 1000 }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
}

async function rpcRuns(server: BenchServer, kind: ClientKind, out: Throughput[]): Promise<void> {
  const client: BenchClient = await connect(server, kind)
  try {
    for (let i = 0; i < WARMUP_CALLS; i++) await client.call('whoami')
    const record = (name: string, inFlight: number, unit: string, r: { ops: number; seconds: number }): void => {
      out.push({ name, server: server.name, client: kind, inFlight, ops: r.ops, seconds: round(r.seconds, 3), perSecond: round(r.ops / r.seconds, 1), unit })
    }
    record('whoami', 1, 'calls/s', await throughput(() => client.call('whoami'), 1, 50_000))
    record('whoami', CONCURRENCY, 'calls/s', await throughput(() => client.call('whoami'), CONCURRENCY, 200_000))
    const publish = (i: number) => client.call('publish', [{ type: 'bench', text: `message ${i}`, at: Date.now() }])
    record('publish', 1, 'msgs/s', await throughput(publish, 1, 20_000))
    record('publish', CONCURRENCY, 'msgs/s', await throughput(publish, CONCURRENCY, 50_000))
  } finally {
    await client.close()
  }
}

async function latency(server: BenchServer, kind: ClientKind, connections: number): Promise<Latency> {
  const samples: number[] = []
  for (let i = 0; i < connections; i++) {
    const t0 = performance.now()
    const client = await connect(server, kind)
    await client.call('whoami')
    samples.push(performance.now() - t0)
    await client.close()
  }
  const sorted = [...samples].sort((a, b) => a - b)
  return {
    name: 'handshake + first reply',
    server: server.name,
    client: kind,
    connections,
    medianMs: round(quantile(sorted, 0.5)),
    p99Ms: round(quantile(sorted, 0.99)),
    meanMs: round(samples.reduce((a, b) => a + b, 0) / samples.length),
    minMs: round(sorted[0]!),
    maxMs: round(sorted[sorted.length - 1]!),
  }
}

const results: Throughput[] = []
const latencies: Latency[] = []
const servers: BenchServer[] = []
try {
  const ours = await startOurs()
  servers.push(ours)
  const js = await startJs()
  servers.push(js)

  await rpcRuns(ours, 'ours', results)
  await rpcRuns(ours, 'ssb-client', results)
  await rpcRuns(js, 'ssb-client', results)
  await rpcRuns(js, 'ours', results)

  await connect(ours, 'ours').then((c) => c.close()) // warm-up
  latencies.push(await latency(ours, 'ours', LATENCY_CONNECTIONS))
  latencies.push(await latency(ours, 'ssb-client', LATENCY_CONNECTIONS))
  latencies.push(await latency(js, 'ssb-client', LATENCY_CONNECTIONS))
  latencies.push(await latency(js, 'ours', LATENCY_CONNECTIONS))
} finally {
  await Promise.allSettled(servers.map((s) => s.stop()))
}

const rate = (name: string, inFlight: number, server: string, client: ClientKind): number =>
  results.find((r) => r.name === name && r.inFlight === inFlight && r.server === server && r.client === client)?.perSecond ?? NaN
const ref = 'ssb-server 16'
const oursLatency = latencies.find((l) => l.server === 'ours' && l.client === 'ours')!
const targets = {
  publishSequentialVsReference: round(rate('publish', 1, 'ours', 'ours') / rate('publish', 1, ref, 'ssb-client'), 1),
  publishConcurrentVsReference: round(rate('publish', CONCURRENCY, 'ours', 'ours') / rate('publish', CONCURRENCY, ref, 'ssb-client'), 1),
  publishSequentialVsReferenceSameClient: round(rate('publish', 1, 'ours', 'ssb-client') / rate('publish', 1, ref, 'ssb-client'), 1),
  publishTargetRatio: 10,
  handshakeFirstReplyMedianMs: oursLatency.medianMs,
  handshakeFirstReplyP99Ms: oursLatency.p99Ms,
  handshakeTargetMs: 5,
}

console.table(
  Object.fromEntries(
    results.map((r) => [`${r.name} ×${r.inFlight} — ${r.server} ← ${r.client}`, { [r.unit]: r.perSecond, ops: r.ops, s: r.seconds }]),
  ),
)
console.table(
  Object.fromEntries(
    latencies.map((l) => [`${l.name} — ${l.server} ← ${l.client}`, { 'median ms': l.medianMs, 'p99 ms': l.p99Ms, 'mean ms': l.meanMs, n: l.connections }]),
  ),
)
console.log(
  `publish vs reference: ${targets.publishSequentialVsReference}× one at a time, ${targets.publishConcurrentVsReference}× with ${CONCURRENCY} in flight` +
    ` (target ≥ ${targets.publishTargetRatio}×); handshake + first reply median ${targets.handshakeFirstReplyMedianMs} ms,` +
    ` p99 ${targets.handshakeFirstReplyP99Ms} ms (target < ${targets.handshakeTargetMs} ms)`,
)

const dir = fileURLToPath(new URL('../../../bench-results/', import.meta.url))
mkdirSync(dir, { recursive: true })
writeFileSync(
  `${dir}server.json`,
  JSON.stringify(
    { package: '@ssb/server', node: process.version, cpus: cpus().length, date: new Date().toISOString(), concurrency: CONCURRENCY, runBudgetMs: RUN_BUDGET_MS, results, latency: latencies, targets },
    null,
    2,
  ) + '\n',
)

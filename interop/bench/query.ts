// query.read latency, OUR server vs the JavaScript ssb-server 16 (ssb-query 2.4.5) in the same
// run: the same messages (default 100,000, 40 feeds) stored in both in the same order, then the
// same queries, each run RUNS times, timing the first item and the whole answer, through two
// clients: ssb-client 4.9 (what apps use) and our TypeScript client (less client-side decoding
// cost, so closer to server latency). Answers are checked equal (receive timestamps aside)
// first. Our server runs in a child process (this file with --child), as the reference does, so
// neither shares an event loop with the clients. Prints a table and writes
// bench-results/query.json at the repo root. Never fails on time.
// Options: --messages=100000 --feeds=40 --runs=15 --out=bench-results/query.json
import { fork } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { closeClient, collect, connectClient, source, type PullSource, type SsbClient } from '../src/client.js'
import { keysFromJSON } from '@ssb/keys'
import { connectClient as connectTsClient, type SsbClient as OurClient } from '@ssb/server'
import { startOurServer } from '../src/our-server.js'
import type { MsgValue } from '../src/feed-fixtures.js'
import { makeQueryFixture } from '../src/query-fixtures.js'
import { startReference, type ReferencePeer, type SsbKeysJSON } from '../src/reference.js'
import { writeToReference } from '../src/replication-helpers.js'

const arg = (name: string, dflt: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt
const MESSAGES = Number(arg('messages', '100000'))
const FEEDS = Number(arg('feeds', '40'))
const RUNS = Number(arg('runs', '15'))
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

interface Case {
  name: string
  indexed: boolean
  opts: Record<string, unknown>
  /** Another source method instead of query.read (the transport floor row). */
  method?: string
}

interface Row {
  client: string
  query: string
  index: string
  items: number
  refFirstMedMs: number
  ourFirstMedMs: number
  refMedMs: number
  refP95Ms: number
  ourMedMs: number
  ourP95Ms: number
  speedup: number
  indexed: boolean
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}
const r1 = (x: number): number => Math.round(x * 10) / 10

type Timed = { first: number; full: number; n: number }

/** As timeOnce, through our TypeScript client (@ssb/server connectClient). */
async function timeOnceTs(client: OurClient, opts: unknown, method = 'query.read'): Promise<Timed> {
  const t0 = performance.now()
  let first = -1
  let n = 0
  for await (const _ of client.rpc.source(method, [opts])) {
    if (first < 0) first = performance.now() - t0
    n++
  }
  return { first: first < 0 ? performance.now() - t0 : first, full: performance.now() - t0, n }
}

/** Time to the first item and to the end of one query.read (ssb-client 4.9). */
function timeOnce(client: SsbClient, opts: unknown, method = 'query.read'): Promise<{ first: number; full: number; n: number }> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now()
    let first = -1
    let n = 0
    const src = source(client, method, opts) as PullSource<unknown>
    const next = (): void =>
      src(null, (end, _data) => {
        if (end === true) return resolvePromise({ first: first < 0 ? performance.now() - t0 : first, full: performance.now() - t0, n })
        if (end) return reject(end)
        if (first < 0) first = performance.now() - t0
        n++
        next()
      })
    next()
  })
}

const strip = (items: unknown[]): unknown[] =>
  items.map((x) => {
    if (typeof x !== 'object' || x === null) return x
    const o = { ...(x as Record<string, unknown>) }
    delete o.timestamp
    return o
  })

type ChildMsg = { type: 'ready'; address: string; keys: SsbKeysJSON; manifest: object } | { type: 'loaded'; errors: number }

/** The child: our server, loading what the parent sends, until told to stop. */
async function child(): Promise<void> {
  const ours = await startOurServer()
  const send = (m: ChildMsg) => process.send!(m)
  process.on('disconnect', () => void ours.stop().finally(() => process.exit(0)))
  process.on('message', (m: { cmd: 'load'; messages: MsgValue[] } | { cmd: 'stop' }) => {
    if (m.cmd === 'load') {
      void ours.server.db.addBatch(m.messages).then((r) => send({ type: 'loaded', errors: r.errors.length }))
    } else {
      void ours.stop().finally(() => process.exit(0))
    }
  })
  send({ type: 'ready', address: ours.address, keys: ours.keys, manifest: ours.manifest })
}

interface OurChild {
  address: string
  keys: SsbKeysJSON
  manifest: object
  load(messages: MsgValue[]): Promise<void>
  stop(): Promise<void>
}

function startOurChild(): Promise<OurChild> {
  const proc = fork(fileURLToPath(import.meta.url), ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const next = () =>
    new Promise<ChildMsg>((res, rej) => {
      const onExit = (code: number | null) => rej(new Error(`our server process exited (${code})`))
      proc.once('exit', onExit)
      proc.once('message', (m) => {
        proc.off('exit', onExit)
        res(m as ChildMsg)
      })
    })
  return next().then((ready) => {
    if (ready.type !== 'ready') throw new Error('unexpected message from our server process')
    return {
      address: ready.address,
      keys: ready.keys,
      manifest: ready.manifest,
      async load(messages) {
        proc.send({ cmd: 'load', messages })
        const r = await next()
        if (r.type !== 'loaded' || r.errors > 0) throw new Error('our server refused messages')
      },
      stop: () => new Promise<void>((res) => {
        if (proc.exitCode !== null) return res()
        proc.once('exit', () => res())
        proc.send({ cmd: 'stop' })
      }),
    }
  })
}

async function main(): Promise<void> {
  console.log(`signing ${MESSAGES} messages over ${FEEDS} feeds…`)
  const fx = makeQueryFixture(FEEDS, MESSAGES)
  const [ref, ours]: [ReferencePeer, OurChild] = await Promise.all([startReference(), startOurChild()])
  const refClient = await ref.client()
  const ourClient = await connectClient({ remote: ours.address, keys: ours.keys, manifest: ours.manifest })
  const port = (address: string) => Number(/:(\d+)~/.exec(address)![1])
  const refTs = await connectTsClient({ kind: 'net', host: '127.0.0.1', port: port(ref.address), key: ref.id }, { keys: keysFromJSON(ref.keys) })
  const ourTs = await connectTsClient({ kind: 'net', host: '127.0.0.1', port: port(ours.address), key: ours.keys.id }, { keys: keysFromJSON(ours.keys) })
  try {
    let t = performance.now()
    for (let i = 0; i < fx.all.length; i += 10_000) await ours.load(fx.all.slice(i, i + 10_000))
    console.log(`ours: stored in ${Math.round(performance.now() - t)} ms`)
    t = performance.now()
    await writeToReference(refClient, fx.all, 900_000)
    console.log(`reference: stored in ${Math.round(performance.now() - t)} ms`)
    const author = (i: number) => fx.writers[i]!.id
    const cases: Case[] = [
      { name: 'type', indexed: true, opts: { query: [{ $filter: { value: { content: { type: 'vote' } } } }] } },
      { name: 'type, reverse, limit 20', indexed: true, opts: { query: [{ $filter: { value: { content: { type: 'post' } } } }], reverse: true, limit: 20 } },
      { name: 'author', indexed: true, opts: { query: [{ $filter: { value: { author: author(3) } } }] } },
      { name: 'author + type', indexed: true, opts: { query: [{ $filter: { value: { author: author(5), content: { type: 'about' } } } }] } },
      { name: 'author + sequence range', indexed: true, opts: { query: [{ $filter: { value: { author: author(7), sequence: { $gt: 500, $lte: 700 } } } }] } },
      { name: 'type + claimed-time range', indexed: true, opts: { query: [{ $filter: { value: { timestamp: { $gte: 1_600_000_000_300, $lt: 1_600_000_000_900 }, content: { type: 'post' } } } }] } },
      { name: 'channel', indexed: true, opts: { query: [{ $filter: { value: { content: { channel: 'ch 2' } } } }], limit: 500 } },
      { name: 'root', indexed: true, opts: { query: [{ $filter: { value: { content: { root: fx.ids[0] } } } }] } },
      { name: 'type + $map', indexed: true, opts: { query: [{ $filter: { value: { content: { type: 'about' } } } }, { $map: { name: ['value', 'content', 'name'], who: ['value', 'author'] } }] } },
      { name: 'type + $reduce', indexed: true, opts: { query: [{ $filter: { value: { content: { type: 'vote' } } } }, { $reduce: { author: ['value', 'author'], n: { $count: true } } }] } },
      { name: 'nested field (log scan)', indexed: false, opts: { query: [{ $filter: { value: { content: { details: { kind: 'k1' } } } } }] } },
      { name: 'scan, limit 10', indexed: false, opts: { query: [{ $filter: { value: { content: { details: { n: 3 } } } } }], limit: 10 } },
      // Not a query: the cost of moving that many messages through RPC to the client at all,
      // with no index work (both servers stream their log in receive order).
      { name: 'transport floor: createLogStream limit 10000', indexed: false, method: 'createLogStream', opts: { limit: 10_000 } },
    ]
    const rows: Row[] = []
    for (const c of cases) {
      // warm up both (the reference finishes building its indexes on the first read) and check equality
      const method = c.method ?? 'query.read'
      const [a, b] = await Promise.all([collect(source(refClient, method, c.opts)), collect(source(ourClient, method, c.opts))])
      if (JSON.stringify(strip(a)) !== JSON.stringify(strip(b))) console.warn(`!! ${c.name}: answers differ (${a.length} vs ${b.length} items)`)
      const plan = c.method
        ? { index: c.method }
        : ((await new Promise((res, rej) => (ourClient as unknown as { query: { explain: (o: unknown, cb: (e: unknown, v: unknown) => void) => void } }).query.explain(c.opts, (e, v) => (e ? rej(e) : res(v))))) as { index?: string; scan?: boolean })
      const clients: Array<[string, (o: unknown) => Promise<Timed>, (o: unknown) => Promise<Timed>]> = [
        ['ssb-client', (o) => timeOnce(refClient, o, method), (o) => timeOnce(ourClient, o, method)],
        ['ts-client', (o) => timeOnceTs(refTs, o, method), (o) => timeOnceTs(ourTs, o, method)],
      ]
      for (const [client, refRun, ourRun] of clients) {
        const refT: Timed[] = []
        const ourT: Timed[] = []
        for (let i = 0; i < RUNS; i++) {
          refT.push(await refRun(c.opts))
          ourT.push(await ourRun(c.opts))
        }
        const row: Row = {
          client,
          query: c.name,
          index: plan.scan ? 'scan' : String(plan.index),
          items: b.length,
          refFirstMedMs: r1(pct(refT.map((x) => x.first), 50)),
          ourFirstMedMs: r1(pct(ourT.map((x) => x.first), 50)),
          refMedMs: r1(pct(refT.map((x) => x.full), 50)),
          refP95Ms: r1(pct(refT.map((x) => x.full), 95)),
          ourMedMs: r1(pct(ourT.map((x) => x.full), 50)),
          ourP95Ms: r1(pct(ourT.map((x) => x.full), 95)),
          speedup: 0,
          indexed: c.indexed,
        }
        row.speedup = r1(row.refMedMs / Math.max(row.ourMedMs, 0.01))
        rows.push(row)
        console.log(`${c.name} [${client}]: ref ${row.refMedMs} ms, ours ${row.ourMedMs} ms (${row.speedup}×)`)
      }
    }
    console.table(rows)
    const summary: Record<string, { geoMeanSpeedup: number; minSpeedup: number; maxSpeedup: number }> = {}
    for (const client of ['ssb-client', 'ts-client']) {
      const indexed = rows.filter((r) => r.indexed && r.client === client)
      const geo = Math.exp(indexed.reduce((acc, r) => acc + Math.log(r.speedup), 0) / indexed.length)
      const speeds = indexed.map((r) => r.speedup)
      summary[client] = { geoMeanSpeedup: r1(geo), minSpeedup: Math.min(...speeds), maxSpeedup: Math.max(...speeds) }
      console.log(`indexed queries via ${client}: geometric-mean speedup ${r1(geo)}×, min ${Math.min(...speeds)}×, max ${Math.max(...speeds)}×`)
    }
    const out = resolve(repoRoot, arg('out', 'bench-results/query.json'))
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(
      out,
      JSON.stringify({ date: new Date().toISOString(), messages: MESSAGES, feeds: FEEDS, runs: RUNS, cpus: os.cpus().length, node: process.version, summary, rows }, null, 2) + '\n',
    )
    console.log(`wrote ${out}`)
  } finally {
    await Promise.allSettled([closeClient(refClient), closeClient(ourClient), refTs.close(), ourTs.close()])
    await Promise.allSettled([ref.stop(), ours.stop()])
  }
}

const run = process.argv.includes('--child') ? child : main
run().catch((err) => {
  console.error(err)
  process.exitCode = 1
})

// Blob and private-message benchmark, OUR server vs the JavaScript ssb-server 16 in the same run:
//  1. blobs.add (sink) / blobs.get (source) throughput: ours over the unix socket and over TCP
//     (SHS + box-stream), the reference over TCP via ssb-client;
//  2. transfer between two servers on loopback (`blobs.want` until stored): ours→ours (in this
//     process, and as two `ssb-server start` processes like the reference's two), ref→ref, and
//     across (ref→ours, ours→ref); against the raw speeds of the same bytes: fsync'd file writes
//     and plain TCP loopback from another process (bench/blob-baselines.ts);
//  3. unboxing while indexing: reindex time of a 20,000-message store (10 % private) on ours,
//     vs the same store without private messages, and the `private.unbox` RPC rate.
// Prints a table and writes bench-results/blobs-interop.json (repo root). Never fails on time.
//
// Blob sizes are 1 MiB − 1 and 5 MiB − 1: ssb-server 16 cannot serve a blob whose size is a
// multiple of 64 KiB (see test/blobs-reference.test.ts) and does not fetch one of exactly 5 MiB.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { generateKeys, type Keys } from '@ssb/keys'
import { connectClient as connectOurClient, silentLogger, startServer, type SsbClient as OurClient, type SsbServer } from '@ssb/server'
import { blobBytes, blobId, closeClientFirst, ourAddBlob, ourClient, ourGetBlob, referenceAddBlob, referenceGetBlob } from '../src/blob-helpers.js'
import { call, type SsbClient } from '../src/client.js'
import { startOurServer, type OurServer } from '../src/our-server.js'
import { makePrivateFeedSet, type PrivateAudience } from '../src/private-fixtures.js'
import { startReference, type ReferencePeer } from '../src/reference.js'
import { rawDiskWrite, startOurProcess, startRawLoopback, type OurProcess } from './blob-baselines.js'

const MiB = 1024 * 1024
const SIZES = [
  { label: '1 MiB', bytes: MiB - 1, count: 16 },
  { label: '5 MiB', bytes: 5 * MiB - 1, count: 9 },
]
/** Untimed 1 MiB transfers before each pair's rows. */
const WARM_UP_TRANSFERS = 16
const UNBOX_FEEDS = 20
const UNBOX_MESSAGES = 20_000
const UNBOX_SHARE = 0.1
const REINDEX_RUNS = 5
const SCAN_RUNS = 5
const UNBOX_RPC_CALLS = 2_000
const UNBOX_RPC_IN_FLIGHT = 32

interface Row {
  op: string
  impl: string
  transport: string
  size: string
  blobs: number
  /** Over all the blobs (total bytes / total time). */
  mbPerS: number
  msPerBlob: number
  /** Of the median blob: steadier on a shared machine, where one slow moment skews a mean of few. */
  medianMbPerS: number
  medianMsPerBlob: number
}

const rows: Row[] = []
let serial = 0
const fresh = (size: number, who: string) => blobBytes(size, `${who} ${serial++} ${process.pid} ${Date.now()}`)
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000)

/** Times `op` on `count` fresh blobs after one untimed warm-up. */
async function measure(op: string, impl: string, transport: string, size: (typeof SIZES)[number], run: (blob: Buffer) => Promise<void>, make: () => Buffer): Promise<void> {
  await run(make())
  const each: number[] = []
  for (let i = 0; i < size.count; i++) {
    const blob = make()
    const t0 = performance.now()
    await run(blob)
    each.push(performance.now() - t0)
  }
  const ms = each.reduce((a, b) => a + b, 0)
  const median = [...each].sort((a, b) => a - b)[each.length >> 1]!
  const row = {
    op, impl, transport, size: size.label, blobs: size.count,
    mbPerS: mbps(size.bytes * size.count, ms), msPerBlob: ms / size.count,
    medianMbPerS: mbps(size.bytes, median), medianMsPerBlob: median,
  }
  rows.push(row)
  process.stderr.write(`${op} ${impl} ${transport} ${size.label}: ${row.mbPerS.toFixed(1)} MB/s (median ${row.medianMbPerS.toFixed(1)})\n`)
}

function check(got: Buffer, want: Buffer, what: string): void {
  if (!got.equals(want)) throw new Error(`${what}: bytes differ`)
}

async function localThroughput(unix: OurClient, tcp: OurClient, refClient: SsbClient): Promise<void> {
  for (const size of SIZES) {
    const targets: Array<[string, string, (b: Buffer) => Promise<string>, (id: string) => Promise<Buffer>]> = [
      ['ours', 'unix', (b) => ourAddBlob(unix, b), (id) => ourGetBlob(unix, id)],
      ['ours', 'tcp+shs', (b) => ourAddBlob(tcp, b), (id) => ourGetBlob(tcp, id)],
      ['reference', 'tcp+shs (ssb-client)', (b) => referenceAddBlob(refClient, b), (id) => referenceGetBlob(refClient, id)],
    ]
    for (const [impl, transport, add, get] of targets) {
      const added: Buffer[] = []
      const addOne = async (b: Buffer): Promise<void> => {
        if ((await add(b)) !== blobId(b)) throw new Error(`${impl} add: wrong id`)
        added.push(b)
      }
      await measure('add', impl, transport, size, addOne, () => fresh(size.bytes, impl))
      const queue = [...added]
      await measure('get', impl, transport, size, async (b) => check(await get(blobId(b)), b, `${impl} get`), () => queue.shift()!)
    }
  }
}

interface Side {
  name: string
  add(b: Buffer): Promise<unknown>
  want(id: string): Promise<unknown>
}

/** `from` and `to` are connected to each other and to nobody who could relay the blob. */
async function transfer(from: Side, to: Side, transport = 'tcp+shs loopback'): Promise<void> {
  // Untimed transfers first: a server that has just started runs cold code (the JIT has not
  // compiled its data path yet), which made the first 1 MiB row of a fresh pair 2× slower.
  // (MiB − 1 like the rows: the reference cannot serve a blob whose size is a multiple of 64 KiB,
  // see test/blobs-reference.test.ts.)
  const warmUp = Array.from({ length: WARM_UP_TRANSFERS }, () => fresh(MiB - 1, from.name))
  for (const b of warmUp) await from.add(b)
  for (const b of warmUp) await to.want(blobId(b))
  for (const size of SIZES) {
    {
      const pending: Buffer[] = []
      for (let i = 0; i <= size.count; i++) {
        const b = fresh(size.bytes, from.name)
        await from.add(b)
        pending.push(b)
      }
      await measure('transfer (want)', `${from.name} → ${to.name}`, transport, size, async (b) => void (await to.want(blobId(b))), () => pending.shift()!)
    }
  }
}

/** The same bytes written to disk (64 KiB writes + fsync + rename) and sent over plain TCP loopback. */
async function rawBaselines(): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), 'ssb-bench-raw-'))
  const loopback = await startRawLoopback()
  try {
    let n = 0
    for (const size of SIZES) {
      await measure('raw', 'disk', 'write+fsync+rename+fsync', size, (b) => rawDiskWrite(dir, b, n++), () => fresh(size.bytes, 'raw'))
      await measure('raw', 'tcp loopback', 'node → node, no crypto', size, (b) => loopback.receive(b.length), () => fresh(size.bytes, 'raw'))
    }
  } finally {
    await loopback.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function timeReady(dir: string, keys: Keys): Promise<{ ms: number; server: SsbServer }> {
  const t0 = performance.now()
  const server = await startServer({ path: dir, keys, host: '127.0.0.1', port: 0, unixSocket: false, logging: { level: 'error' } }, { logger: silentLogger })
  return { ms: performance.now() - t0, server }
}

interface ReindexCase {
  audience: string
  messages: number
  privateMessages: number
  reindexMs: number[]
  /** In-process createLogStream over the whole store, without and with `private: true` (min of SCAN_RUNS). */
  scanMs: { plain: number; private: number }
}

async function scanMs(server: SsbServer, withPrivate: boolean): Promise<number> {
  let best = Infinity
  for (let i = 0; i < SCAN_RUNS; i++) {
    const t0 = performance.now()
    let n = 0
    for await (const _ of server.db.createLogStream(withPrivate ? { private: true } : {})) n++
    best = Math.min(best, performance.now() - t0)
    if (n !== UNBOX_MESSAGES) throw new Error(`log stream gave ${n} messages`)
  }
  return best
}

async function reindexCase(audience: PrivateAudience | 'none', keys: Keys): Promise<ReindexCase> {
  const set = makePrivateFeedSet(UNBOX_FEEDS, UNBOX_MESSAGES, { share: audience === 'none' ? 0 : UNBOX_SHARE, audience: audience === 'none' ? 'us' : audience, usId: keys.id })
  const dir = mkdtempSync(join(os.tmpdir(), 'ssb-bench-unbox-'))
  try {
    const first = await timeReady(dir, keys)
    const r = await first.server.db.addBatch(set.all)
    if (r.error || r.stored.length !== set.all.length) throw new Error(`fixture not stored: ${r.error?.message ?? r.stored.length}`)
    await first.server.close()
    const reindexMs: number[] = []
    let scan = { plain: 0, private: 0 }
    for (let i = 0; i < REINDEX_RUNS; i++) {
      rmSync(join(dir, 'ssb-ts', 'indexes'), { recursive: true, force: true })
      const { ms, server } = await timeReady(dir, keys)
      reindexMs.push(ms)
      if (i === REINDEX_RUNS - 1) scan = { plain: await scanMs(server, false), private: await scanMs(server, true) }
      await server.close()
    }
    process.stderr.write(`reindex ${audience}: ${reindexMs.map((x) => x.toFixed(0)).join(', ')} ms; scan ${scan.plain.toFixed(0)} / ${scan.private.toFixed(0)} ms\n`)
    return { audience, messages: set.all.length, privateMessages: set.privateCount, reindexMs, scanMs: scan }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** `count` operations took `ms` more than the baseline: their rate, or null within noise. */
const extraRate = (count: number, ms: number) => (ms > 0 ? count / (ms / 1000) : null)

async function unboxRpcRate(unix: OurClient, keys: Keys): Promise<number> {
  const set = makePrivateFeedSet(1, UNBOX_RPC_CALLS * 2, { share: 0.5, audience: 'us', usId: keys.id })
  const boxes = set.all.map((m) => m.content).filter((c): c is string => typeof c === 'string')
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: UNBOX_RPC_IN_FLIGHT }, async () => {
      while (next < boxes.length) {
        const plain = await unix.rpc.call('private.unbox', [boxes[next++]!])
        if (!plain) throw new Error('private.unbox returned null for our own box')
      }
    }),
  )
  return boxes.length / ((performance.now() - t0) / 1000)
}

const best = (xs: number[]) => Math.min(...xs)

async function main(): Promise<void> {
  const keys = generateKeys()
  const refs: ReferencePeer[] = []
  const ourServers: OurServer[] = []
  const clients: Array<[OurServer, OurClient]> = []
  const processes: OurProcess[] = []
  const ours = async (config: Parameters<typeof startOurServer>[0] = {}): Promise<[OurServer, OurClient]> => {
    const s = await startOurServer(config)
    ourServers.push(s)
    const c = config.unixSocket ? await connectOurClient({ kind: 'unix', path: join(s.dir, 'socket') }, { keys: s.server.keys }) : await ourClient(s)
    clients.push([s, c])
    return [s, c]
  }
  try {
    const [ref, ref2] = await Promise.all([startReference(), startReference()])
    refs.push(ref, ref2)
    const refClient = await ref.client()
    const ref2Client = await ref2.client()
    const [a, unix] = await ours({ unixSocket: true, keys })
    const tcp = await ourClient(a)
    clients.push([a, tcp])
    const [b, bClient] = await ours()
    const [c, cClient] = await ours()

    await localThroughput(unix, tcp, refClient)

    // Transfers, each over a connection of its own (A–B, ref–ref2, ref–C, ref2–A, made in this
    // order) so that no third server relays or fetches the blob meanwhile.
    const side = (name: string, add: (x: Buffer) => Promise<unknown>, want: (id: string) => Promise<unknown>): Side => ({ name, add, want })
    const unused = () => Promise.reject(new Error('unused'))
    await b.server.connect(a.address)
    await transfer(side('ours', (x) => ourAddBlob(unix, x), unused), side('ours', unused, (id) => bClient.rpc.call('blobs.want', [id])))
    await call(ref2Client, 'gossip.connect', ref.address)
    await transfer(side('reference', (x) => referenceAddBlob(refClient, x), unused), side('reference', unused, (id) => call(ref2Client, 'blobs.want', id)))
    await c.server.connect(ref.address)
    await transfer(side('reference', (x) => referenceAddBlob(refClient, x), unused), side('ours', unused, (id) => cClient.rpc.call('blobs.want', [id])))
    await call(ref2Client, 'gossip.connect', a.address)
    await transfer(side('ours', (x) => ourAddBlob(unix, x), unused), side('reference', unused, (id) => call(ref2Client, 'blobs.want', id)))

    // Ours as users run it: two `ssb-server start` processes.
    const [p, q] = [await startOurProcess(), await startOurProcess()]
    processes.push(p, q)
    await q.client.rpc.call('gossip.connect', [p.address])
    await transfer(
      side('ours (process)', (x) => ourAddBlob(p.client, x), unused),
      side('ours (process)', unused, (id) => q.client.rpc.call('blobs.want', [id])),
      'tcp+shs loopback',
    )
    await rawBaselines()

    const rpcRate = await unboxRpcRate(unix, keys)
    const cases = []
    const storeKeys = generateKeys()
    for (const audience of ['none', 'us', 'others'] as const) cases.push(await reindexCase(audience, storeKeys))
    const base = best(cases[0]!.reindexMs)
    const [, us, others] = cases as [ReindexCase, ReindexCase, ReindexCase]
    const unbox = {
      messages: UNBOX_MESSAGES,
      privateShare: UNBOX_SHARE,
      cases: cases.map((x) => ({ ...x, bestMs: best(x.reindexMs), msgPerS: x.messages / (best(x.reindexMs) / 1000) })),
      /** Private messages per second of EXTRA time they cost (null: lost in the noise). */
      unboxPerS: {
        reindexReadable: extraRate(us.privateMessages, best(us.reindexMs) - base),
        reindexNotForUs: extraRate(others.privateMessages, best(others.reindexMs) - base),
        scanReadable: extraRate(us.privateMessages, us.scanMs.private - us.scanMs.plain),
        scanNotForUs: extraRate(others.privateMessages, others.scanMs.private - others.scanMs.plain),
      },
      privateUnboxRpcPerS: rpcRate,
    }
    report(unbox)
  } finally {
    for (const [s, cl] of clients) await closeClientFirst(s, cl)
    for (const s of ourServers) await s.stop()
    for (const p of processes) await p.stop()
    for (const r of refs) await r.stop()
  }
}

type Unbox = {
  cases: Array<{ audience: string; privateMessages: number; bestMs: number; msgPerS: number; scanMs: { plain: number; private: number } }>
  unboxPerS: Record<'reindexReadable' | 'reindexNotForUs' | 'scanReadable' | 'scanNotForUs', number | null>
  privateUnboxRpcPerS: number
}

function report(unbox: Unbox): void {
  const pad = (s: string, n: number) => s.padEnd(n)
  const rate = (x: number | null) => (x === null ? 'n/a (noise)' : `${x.toFixed(0)} msg/s`)
  const mb = (op: string, impl: string, size: string, stat: 'mbPerS' | 'medianMbPerS') => rows.find((r) => r.op === op && r.impl === impl && r.size === size)?.[stat]
  const summary = SIZES.flatMap(({ label }) =>
    (['mbPerS', 'medianMbPerS'] as const).map((stat) => {
      const ours = mb('transfer (want)', 'ours (process) → ours (process)', label, stat)
      const ref = mb('transfer (want)', 'reference → reference', label, stat)
      const raw = Math.min(mb('raw', 'disk', label, stat) ?? Infinity, mb('raw', 'tcp loopback', label, stat) ?? Infinity)
      const what = `${label}, ${stat === 'mbPerS' ? 'all blobs' : 'median blob'}`
      if (ours === undefined || ref === undefined || raw === Infinity) return `  ${what}: n/a`
      return `  ${what}: ours ${ours.toFixed(1)} MB/s = ${(ours / ref).toFixed(1)}× ref→ref; raw (slower of disk and loopback) ${raw.toFixed(0)} MB/s = ${(raw / ours).toFixed(1)}× ours`
    }),
  )
  const lines = [
    `${pad('op', 16)} ${pad('impl', 22)} ${pad('transport', 22)} ${pad('size', 6)} ${'MB/s'.padStart(8)} ${'ms/blob'.padStart(9)} ${'median'.padStart(8)}`,
    ...rows.map((r) => `${pad(r.op, 16)} ${pad(r.impl, 22)} ${pad(r.transport, 22)} ${pad(r.size, 6)} ${r.mbPerS.toFixed(1).padStart(8)} ${r.msPerBlob.toFixed(1).padStart(9)} ${r.medianMsPerBlob.toFixed(1).padStart(8)}`),
    '',
    'transfer between two server processes:',
    ...summary,
    '',
    `ours, store of ${UNBOX_MESSAGES} messages: reindex at open (best of ${REINDEX_RUNS}); createLogStream plain / private:true (best of ${SCAN_RUNS})`,
    ...unbox.cases.map(
      (c) =>
        `  private: ${pad(c.audience === 'none' ? 'none' : `${c.privateMessages} for ${c.audience}`, 16)} reindex ${c.bestMs.toFixed(0).padStart(5)} ms (${c.msgPerS.toFixed(0).padStart(6)} msg/s)   scan ${c.scanMs.plain.toFixed(0).padStart(4)} / ${c.scanMs.private.toFixed(0).padStart(4)} ms`,
    ),
    `  unbox rate from the scans: ${rate(unbox.unboxPerS.scanReadable)} readable, ${rate(unbox.unboxPerS.scanNotForUs)} not for us`,
    `  unbox rate from the reindex times: ${rate(unbox.unboxPerS.reindexReadable)} readable, ${rate(unbox.unboxPerS.reindexNotForUs)} not for us`,
    `  private.unbox over the unix socket (${UNBOX_RPC_IN_FLIGHT} in flight): ${unbox.privateUnboxRpcPerS.toFixed(0)} msg/s`,
  ]
  console.log(lines.join('\n'))
  const root = fileURLToPath(new URL('../../', import.meta.url))
  mkdirSync(join(root, 'bench-results'), { recursive: true })
  const out = {
    date: new Date().toISOString(),
    machine: { node: process.version, cpus: os.cpus().length, platform: process.platform },
    notes: [
      'MB/s = 10^6 bytes per second; add, get and transfers are sequential, one blob at a time, after one warm-up (transfers: after 16 untimed 1 MiB transfers per pair, so that no pair runs cold code); mbPerS over all blobs of a row, medianMbPerS of its median blob (ms in medianMsPerBlob)',
      'blob sizes are 2^20-1 and 5*2^20-1 bytes: ssb-server 16 cannot serve a blob whose size is a multiple of 64 KiB',
      'reference add goes through ssb-client fix-add-blob (hashes client-side) and waits for the blob on blobs.ls live',
      'transfer = blobs.want on the receiver until it resolves (stored), the sender already connected',
      "ours → ours runs both servers in the bench's process; ours (process) → ours (process) runs two `ssb-server start` processes, as ref → ref runs two reference processes",
      'raw = the same bytes stored durably under a new name (64 KiB writes + fsync + rename + fsync of the folder), and sent from another Node process over plain TCP loopback (no crypto, no framing): what a transfer cannot beat',
      'unbox rates = private messages / extra time over the same store without them (scan: in-process createLogStream with private:true; reindex: server start after deleting the indexes); the machine is shared, so take them as rough',
    ],
    blobs: rows,
    unbox,
  }
  writeFileSync(join(root, 'bench-results', 'blobs-interop.json'), JSON.stringify(out, null, 2) + '\n')
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  },
)

// Receiving peers for the replication bench, each in its own process: a JS ssb-server 16
// or one of ours (bench/our-node.ts, which reports process.cpuUsage() over IPC, run from dist). Peak RSS is
// /proc/<pid>/status VmHWM for both: getrusage's maxRSS (process.resourceUsage().maxRSS) survives
// execve on Linux, so a small child spawned by this (large) bench process can report OUR peak
// (seen here: an idle `node -e` child reported 148 MiB via maxRSS, 42 MiB via VmHWM).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { call } from '../src/client.js'
import { startReferenceNode } from '../src/reference-node.js'
import { referenceClock, referenceReplicates, writeToReference } from '../src/replication-helpers.js'
import { contactMessages, generateKeys, keysToJSON } from './fixtures.js'

/** /proc/<pid>/stat counts CPU time in clock ticks (`getconf CLK_TCK`, 100 on Linux). */
const CLOCK_TICKS_PER_S = 100
/** How often the reference receiver's getVectorClock is polled (the timing resolution). */
const REFERENCE_POLL_MS = 250

export interface SyncResult {
  complete: boolean
  ms: number
  received: number
  cpuS: number
  peakRssMiB: number
  /** Receiver RSS just before the dial (set-up done, nothing received yet). */
  startRssMiB: number
  /** Ours only: process.resourceUsage().maxRSS as the child reports it (see above: inflated by execve). */
  ipcMaxRssMiB?: number
  /** Ours only: V8 heap reserved and external (Buffer) memory when the sync completed. */
  heapTotalMiB?: number
  externalMiB?: number
}

export interface Receiver {
  sync(sourceAddress: string, expected: Record<string, number>, timeoutMs: number): Promise<SyncResult>
  stop(): Promise<void>
}

export function procCpuS(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S
}

function procRssMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

const sumUpTo = (clock: Record<string, number>, expected: Record<string, number>) =>
  Object.entries(expected).reduce((n, [id, seq]) => n + Math.min(clock[id] ?? 0, seq), 0)

/** A fresh JS ssb-server 16 that follows `follows` (pre-signed contacts on its own feed). */
export async function referenceReceiver(follows: string[]): Promise<Receiver> {
  const keys = generateKeys()
  const node = await startReferenceNode({ keys: keysToJSON(keys) })
  const client = await node.client()
  await writeToReference(client, contactMessages(keys, follows) as never)
  await referenceReplicates(client, follows, 120_000)
  return {
    async sync(address, expected, timeoutMs) {
      const before = sumUpTo(await referenceClock(client), expected)
      const total = Object.values(expected).reduce((a, b) => a + b, 0)
      const startRssMiB = procRssMiB(node.pid, 'VmRSS')
      const cpu0 = procCpuS(node.pid)
      const t0 = performance.now()
      await call(client, 'gossip.connect', address)
      let have = before
      while (have < total && performance.now() - t0 < timeoutMs) {
        await new Promise((r) => setTimeout(r, REFERENCE_POLL_MS))
        have = sumUpTo(await referenceClock(client), expected)
      }
      return {
        complete: have >= total,
        ms: performance.now() - t0,
        received: have - before,
        cpuS: procCpuS(node.pid) - cpu0,
        peakRssMiB: procRssMiB(node.pid, 'VmHWM'),
        startRssMiB,
      }
    },
    stop: () => node.stop(),
  }
}

type Reply = { type: 'ready'; id: string; address: string } | { type: 'loaded' } | ({ type: 'done' } & Record<string, number | boolean>) | { type: 'error'; message: string }

const interopDir = fileURLToPath(new URL('..', import.meta.url))
const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
let prepared: Promise<string[]> | undefined

/**
 * How our nodes are started: by default the packages are built (`turbo run build`, cached) and
 * our-node.ts (with fixtures.ts) is compiled next to interop's node_modules, so the child runs
 * plain `node` on the built dist, as a deployment would (tsx alone costs ~37 MiB of RSS and
 * transpiles every module). `--from-source` runs it under tsx on src instead.
 * BENCH_NODE_ARGS adds node flags to our children (e.g. `--cpu-prof --cpu-prof-dir=…`).
 */
export function prepareOurNode(fromSource: boolean): Promise<string[]> {
  prepared ??= (async () => {
    const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)
    const script = fileURLToPath(new URL('./our-node.ts', import.meta.url))
    if (fromSource) return [...extra, '--import', 'tsx', '--conditions=@ssb/source', script]
    const r = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@ssb/server', '--output-logs=errors-only'], { cwd: repoRoot, stdio: 'inherit' })
    if (r.status !== 0) throw new Error('building @ssb/server (and the packages it uses) failed')
    const outDir = join(interopDir, 'node_modules', '.cache', 'ssb-bench')
    const { build } = await import('tsup')
    await build({
      entry: { 'our-node': script },
      outDir,
      format: ['esm'],
      platform: 'node',
      target: 'node20',
      bundle: true,
      external: [/^@ssb\//],
      config: false,
      silent: true,
      dts: false,
      sourcemap: false,
      clean: false,
    })
    return [...extra, join(outDir, 'our-node.js')]
  })()
  return prepared
}

interface OurNode {
  pid: number
  request(msg: object): Promise<Reply>
  stop(): Promise<void>
}

async function spawnOurNode(args: string[], follows: string[]): Promise<OurNode & { address: string }> {
  const child: ChildProcess = spawn(process.execPath, args, { cwd: interopDir, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const request = (msg: object): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const onExit = () => reject(new Error('our-node exited'))
      child.once('exit', onExit)
      child.once('message', (reply) => {
        child.off('exit', onExit)
        const r = reply as Reply
        if (r.type === 'error') reject(new Error(r.message))
        else resolve(r)
      })
      child.send(msg)
    })
  const ready = (await request({ cmd: 'init', follows })) as { address: string }
  return {
    pid: child.pid!,
    address: ready.address,
    request,
    async stop() {
      if (child.exitCode === null) child.send({ cmd: 'stop' })
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000) // our own child only
      await exited
      clearTimeout(timer)
    },
  }
}

/** Messages per IPC load request when filling a source of ours. */
const LOAD_CHUNK = 10_000

/** One of our servers as a replication source, in its own process. */
export async function ourSource(follows: string[], fromSource: boolean): Promise<{ pid: number; address: string; load(messages: unknown[]): Promise<void>; stop(): Promise<void> }> {
  const node = await spawnOurNode(await prepareOurNode(fromSource), follows)
  return {
    pid: node.pid,
    address: node.address,
    async load(messages) {
      for (let i = 0; i < messages.length; i += LOAD_CHUNK) await node.request({ cmd: 'load', messages: messages.slice(i, i + LOAD_CHUNK) })
    },
    stop: () => node.stop(),
  }
}

/** A fresh server of ours in a child process that follows `follows`. */
export async function ourReceiver(follows: string[], fromSource: boolean): Promise<Receiver> {
  const node = await spawnOurNode(await prepareOurNode(fromSource), follows)
  return {
    async sync(address, expected, timeoutMs) {
      const r = (await node.request({ cmd: 'sync', address, expected, timeoutMs })) as Record<string, number | boolean>
      const peakRssMiB = procRssMiB(node.pid, 'VmHWM')
      return {
        complete: r.complete as boolean,
        ms: r.ms as number,
        received: r.received as number,
        cpuS: ((r.cpuUserMs as number) + (r.cpuSystemMs as number)) / 1000,
        peakRssMiB,
        ipcMaxRssMiB: (r.maxRssKb as number) / 1024,
        startRssMiB: (r.startRssKb as number) / 1024,
        heapTotalMiB: (r.heapTotalKb as number) / 1024,
        externalMiB: (r.externalKb as number) / 1024,
      }
    },
    stop: () => node.stop(),
  }
}

/** Peak RSS of an idle Node process, plain and with the tsx loader our receiver runs under. */
export async function runtimeBaseline(): Promise<{ nodeMiB: number; tsxMiB: number }> {
  const idle = (args: string[]) =>
    new Promise<number>((resolve, reject) => {
      const code = "import { readFileSync } from 'node:fs'; setTimeout(() => console.log(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]), 300)"
      const child = spawn(process.execPath, [...args, '--input-type=module', '-e', code], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d))
      child.once('exit', (c) => (c === 0 ? resolve(Number(out.trim()) / 1024) : reject(new Error(`baseline probe exited with ${c}`))))
    })
  return { nodeMiB: await idle([]), tsxMiB: await idle(['--import', 'tsx', '--conditions=@ssb/source']) }
}

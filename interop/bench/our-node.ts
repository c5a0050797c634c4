// One of OUR servers in its own process (so its RSS and CPU are its own), driven over IPC by
// bench/replication.ts, as a receiver or as a source. receivers.ts compiles this file and runs
// it with plain node on the packages' built dist (see prepareOurNode there).
//   ← {cmd:'init', follows}      → {type:'ready', id, address, maxRssKb}
//   ← {cmd:'load', messages}     add pre-signed messages (a source)  → {type:'loaded'}
//   ← {cmd:'sync', address, expected}  dial `address`, wait until our clock reaches `expected`
//   → {type:'done', ms, received, startRssKb, cpuUserMs, cpuSystemMs, maxRssKb, heapTotalKb, externalKb}   (or {type:'error', message})
//   ← {cmd:'stop'}               close, remove the dir, exit
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger, startServer, type SsbServer } from '@ssb/server'
import { contactMessages, generateKeys, ourFollowsReady } from './fixtures.js'

type Command =
  | { cmd: 'init'; follows: string[] }
  | { cmd: 'load'; messages: unknown[] }
  | { cmd: 'sync'; address: string; expected: Record<string, number>; timeoutMs: number }
  | { cmd: 'stop' }

const dir = mkdtempSync(join(tmpdir(), 'ssb-bench-ours-'))
let server: SsbServer | undefined

function send(msg: object): void {
  process.send?.(msg)
}

async function init(follows: string[]): Promise<void> {
  const keys = generateKeys()
  // BENCH_SERVER_CONFIG: extra config as JSON, for experiments (e.g. '{"db":{"batchWorkers":0}}')
  const extra = JSON.parse(process.env.BENCH_SERVER_CONFIG ?? '{}') as Record<string, unknown>
  server = await startServer({ path: dir, keys, host: '127.0.0.1', port: 0, unixSocket: false, logging: { level: 'error' }, ...extra }, { logger: silentLogger })
  const r = await server.db.addBatch(contactMessages(keys, follows))
  if (r.error) throw r.error
  await ourFollowsReady(server, keys, follows)
  const pub = keys.public.replace(/\.ed25519$/, '')
  send({ type: 'ready', id: keys.id, address: `net:127.0.0.1:${server.port}~shs:${pub}`, maxRssKb: process.resourceUsage().maxRSS })
}

async function sync(address: string, expected: Record<string, number>, timeoutMs: number): Promise<void> {
  const s = server!
  let remaining = 0
  let received = 0
  for (const [id, seq] of Object.entries(expected)) if ((s.db.feedState(id)?.sequence ?? 0) < seq) remaining++
  const startRssKb = process.memoryUsage().rss / 1024
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const done = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      off()
      resolve(false)
    }, timeoutMs)
    const off = s.db.onMessage((kvt) => {
      const want = expected[kvt.value.author]
      if (want === undefined) return
      received++
      if (kvt.value.sequence === want && --remaining === 0) {
        clearTimeout(timer)
        off()
        resolve(true)
      }
    })
    if (remaining === 0) {
      clearTimeout(timer)
      off()
      resolve(true)
    }
  })
  await s.connect(address)
  const complete = await done
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const mem = process.memoryUsage()
  send({ type: 'done', complete, ms, received, startRssKb, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, maxRssKb: process.resourceUsage().maxRSS, heapTotalKb: mem.heapTotal / 1024, externalKb: mem.external / 1024 })
}

process.on('message', (raw) => {
  const msg = raw as Command
  const run = async () => {
    if (msg.cmd === 'init') await init(msg.follows)
    else if (msg.cmd === 'load') {
      const r = await server!.db.addBatch(msg.messages)
      if (r.error) throw r.error
      send({ type: 'loaded' })
    } else if (msg.cmd === 'sync') await sync(msg.address, msg.expected, msg.timeoutMs)
    else {
      await server?.close()
      rmSync(dir, { recursive: true, force: true })
      process.exit(0)
    }
  }
  run().catch((err: Error) => send({ type: 'error', message: err.stack ?? err.message }))
})
// If the bench dies, do not outlive it.
process.on('disconnect', () => {
  rmSync(dir, { recursive: true, force: true })
  process.exit(1)
})

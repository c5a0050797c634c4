// One benchmark scenario per process, so peak RSS is per scenario. Prints one JSON line.
import { existsSync } from 'node:fs'
import { mkdtemp, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { MsgValue } from '@ssb/feed'
import { sign, verify } from '@ssb/keys'
import { openDb } from '../src/index.js'
import { BIG_FEEDS, BIG_PER_FEED, CACHE_DIR, bigStoreDir, feedKeys, generate, ingestChunks } from './fixtures.js'
import { ssbDbScenario } from './ssb-db.js'

const [name, ...args] = process.argv.slice(2)
const keys = feedKeys(999_999)
const ms = (t0: number): number => Math.round((performance.now() - t0) * 10) / 10
const count = async (it: AsyncIterable<unknown>): Promise<number> => {
  let n = 0
  for await (const _ of it) n++
  return n
}

/** Timed from the first JSON line read to everything indexed: parsing is part of ingest. */
async function ingest(dir: string, n: number, workers: number): Promise<Record<string, number>> {
  const db = await openDb({ keys }, { dir, batchWorkers: workers })
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  let messages = 0
  for await (const values of ingestChunks(n, 2000)) {
    const r = await db.addBatch(values)
    if (r.error) throw r.error
    messages += r.stored.length
  }
  const acked = ms(t0)
  await count(db.createLogStream({ limit: 1, reverse: true })) // waits until everything is indexed
  const indexed = ms(t0)
  const cpu = process.cpuUsage(cpu0)
  await db.close()
  return {
    messages,
    ackedMs: acked,
    indexedMs: indexed,
    msgPerSec: Math.round(messages / (indexed / 1000)),
    mainThreadCpuUsPerMsg: Math.round((cpu.user + cpu.system) / messages),
  }
}

async function queries(dir: string, feedIndex: number): Promise<Record<string, number>> {
  const db = await openDb({ keys }, { dir })
  const feed = feedKeys(feedIndex).id
  const out: Record<string, number> = {}
  // One untimed pass first: latencies are for a warm store (caches filled, compactions after
  // the open settled), as a running server sees them.
  await count(db.createHistoryStream({ id: feed }))
  await count(db.messagesByType({ type: 'vote', limit: 100 }))
  await count(db.messagesByType({ type: 'vote', limit: 100, reverse: true }))
  let t0 = performance.now()
  out.historyCount = await count(db.createHistoryStream({ id: feed }))
  out.historyMs = ms(t0)
  t0 = performance.now()
  await count(db.createHistoryStream({ id: feed, limit: 1 }))
  out.historyFirstMs = ms(t0)
  t0 = performance.now()
  await count(db.messagesByType({ type: 'vote', limit: 100 }))
  out.byType100Ms = ms(t0)
  t0 = performance.now()
  await count(db.messagesByType({ type: 'vote', limit: 100, reverse: true }))
  out.byTypeLatest100Ms = ms(t0)
  t0 = performance.now()
  out.contactCount = await count(db.messagesByType({ type: 'contact', values: false }))
  out.contactKeysMs = ms(t0)
  await db.close()
  return out
}

async function main(): Promise<Record<string, unknown>> {
  switch (name) {
    case 'baseline': {
      // Machine state and the process floor: node + tsx + @ssb/db loaded, Ed25519 verify rate.
      const k = feedKeys(1)
      const data = new Uint8Array(512).fill(7)
      const sig = sign(k.secretKey, data)
      const t0 = performance.now()
      for (let i = 0; i < 5000; i++) verify(k.publicKey, sig, data)
      return { verifyPerSec: Math.round(5000 / ((performance.now() - t0) / 1000)) }
    }
    case 'build-big': {
      // The 1M-message store, built once through addBatch (so it is validated) and cached.
      const target = bigStoreDir()
      const tmp = target + '.building'
      await rm(tmp, { recursive: true, force: true })
      const db = await openDb({ keys }, { dir: tmp, sync: 'none', batchWorkers: 2 })
      const t0 = performance.now()
      let batch: MsgValue[] = []
      for (const run of generate(BIG_FEEDS, BIG_PER_FEED, 10)) {
        batch.push(...run)
        if (batch.length >= 4000) {
          const r = await db.addBatch(batch)
          if (r.error) throw r.error
          batch = []
        }
      }
      if (batch.length) await db.addBatch(batch)
      await db.close()
      await rename(tmp, target)
      return { messages: BIG_FEEDS * BIG_PER_FEED, buildMs: ms(t0) }
    }
    case 'ingest': {
      const [n, workers] = [Number(args[0]), Number(args[1])]
      for await (const _ of ingestChunks(1, 1)) break // make sure the fixture exists before timing
      const dir = args[2] ?? (await mkdtemp(join(CACHE_DIR, 'ingest-')))
      const r = await ingest(dir, n, workers)
      if (args[2] === undefined) await rm(dir, { recursive: true })
      return r
    }
    case 'open': {
      const t0 = performance.now()
      const db = await openDb({ keys }, { dir: args[0]! })
      const openMs = ms(t0)
      await count(db.createHistoryStream({ id: feedKeys(7).id, limit: 1 }))
      const firstQueryMs = ms(t0)
      await db.close()
      return { openMs, firstQueryMs }
    }
    case 'reindex': {
      const dir = args[0]!
      await rm(join(dir, 'indexes'), { recursive: true, force: true })
      const t0 = performance.now()
      const cpu0 = process.cpuUsage()
      let last = { done: 0, total: 0 }
      const db = await openDb({ keys }, { dir, onProgress: (p) => (last = p) })
      const reindexMs = ms(t0)
      const cpu = process.cpuUsage(cpu0)
      const cpuMs = Math.round((cpu.user + cpu.system) / 1000)
      const problems = args[1] === 'verify' ? (await db.verifyIndexes()).length : undefined
      await db.close()
      return { reindexMs, cpuMs, bytes: last.total, ...(problems === undefined ? {} : { problems }) }
    }
    case 'queries':
      return queries(args[0]!, Number(args[1]))
    default:
      if (name?.startsWith('ssb-db-')) return ssbDbScenario(name.slice(7), args)
      throw new Error(`unknown scenario ${name}`)
  }
}

if (!existsSync(CACHE_DIR)) await import('node:fs/promises').then((f) => f.mkdir(CACHE_DIR, { recursive: true }))
const result = await main()
const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024)
process.stdout.write(JSON.stringify({ ...result, maxRssMiB }) + '\n')

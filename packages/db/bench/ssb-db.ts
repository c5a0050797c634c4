// The same scenarios against ssb-db 20.4.1 (what ssb-server 16 uses), created standalone with
// ssb-db/create, as ssb-server's init does (minus secret-stack).
import { readdir, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { MsgValue } from '@ssb/feed'
import { keysToJSON } from '@ssb/keys'
import { feedKeys, ingestChunks } from './fixtures.js'

const require = createRequire(import.meta.url)
const create = require('ssb-db/create') as (path: string, opts: object, keys: object) => SsbDb
const pull = createRequire(require.resolve('ssb-db'))('pull-stream') as {
  (...args: unknown[]): void
  collect: (cb: (err: unknown, xs: unknown[]) => void) => unknown
}

interface SsbDb {
  add(msg: MsgValue, cb: (err: unknown) => void): void
  close(cb: (err?: unknown) => void): void
  since: { value: number }
  views: Record<string, { since: { value: number } }>
  createHistoryStream(o: object): unknown
  messagesByType(o: object): unknown
}

const keys = keysToJSON(feedKeys(999_999))
const ms = (t0: number): number => Math.round((performance.now() - t0) * 10) / 10
const p = <T>(f: (cb: (err: unknown, v?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => f((err, v) => (err ? reject(err) : resolve(v as T))))
const collect = (source: unknown): Promise<unknown[]> => p((cb) => pull(source, pull.collect(cb)))

/** flumedb indexes lag the log; this polls until every view reached the log's end. */
async function synced(db: SsbDb): Promise<void> {
  for (;;) {
    const end = db.since.value
    if (end !== undefined && Object.values(db.views).every((v) => v.since.value === end)) return
    await new Promise((r) => setTimeout(r, 5))
  }
}

export async function ssbDbScenario(name: string, args: string[]): Promise<Record<string, number>> {
  const dir = args[args.length - 1]!
  switch (name) {
    case 'ingest': {
      const db = create(dir, {}, keys)
      await synced(db)
      const t0 = performance.now()
      const cpu0 = process.cpuUsage()
      let messages = 0
      // One add at a time, as ssb-ebt and legacy replication call it.
      for await (const values of ingestChunks(Number(args[0]), 2000)) {
        for (const v of values) await p((cb) => db.add(v, cb))
        messages += values.length
      }
      const acked = ms(t0)
      await synced(db)
      const indexed = ms(t0)
      const cpu = process.cpuUsage(cpu0)
      await p((cb) => db.close(cb))
      return {
        messages,
        ackedMs: acked,
        indexedMs: indexed,
        msgPerSec: Math.round(messages / (indexed / 1000)),
        mainThreadCpuUsPerMsg: Math.round((cpu.user + cpu.system) / messages),
      }
    }
    case 'open': {
      const t0 = performance.now()
      const db = create(dir, {}, keys)
      await synced(db)
      const openMs = ms(t0)
      await collect(db.createHistoryStream({ id: feedKeys(7).id, limit: 1 }))
      const firstQueryMs = ms(t0)
      await p((cb) => db.close(cb))
      return { openMs, firstQueryMs }
    }
    case 'reindex': {
      const flume = join(dir, 'flume')
      for (const f of await readdir(flume)) if (f !== 'log.offset') await rm(join(flume, f), { recursive: true })
      const t0 = performance.now()
      const db = create(dir, {}, keys)
      await synced(db)
      const reindexMs = ms(t0)
      await p((cb) => db.close(cb))
      return { reindexMs }
    }
    case 'queries': {
      const db = create(dir, {}, keys)
      await synced(db)
      const feed = feedKeys(Number(args[0])).id
      const out: Record<string, number> = {}
      await collect(db.createHistoryStream({ id: feed }))
      await collect(db.messagesByType({ type: 'vote', limit: 100 }))
      await collect(db.messagesByType({ type: 'vote', limit: 100, reverse: true }))
      let t0 = performance.now()
      out.historyCount = (await collect(db.createHistoryStream({ id: feed }))).length
      out.historyMs = ms(t0)
      t0 = performance.now()
      await collect(db.createHistoryStream({ id: feed, limit: 1 }))
      out.historyFirstMs = ms(t0)
      t0 = performance.now()
      await collect(db.messagesByType({ type: 'vote', limit: 100 }))
      out.byType100Ms = ms(t0)
      t0 = performance.now()
      await collect(db.messagesByType({ type: 'vote', limit: 100, reverse: true }))
      out.byTypeLatest100Ms = ms(t0)
      t0 = performance.now()
      out.contactCount = (await collect(db.messagesByType({ type: 'contact', values: false }))).length
      out.contactKeysMs = ms(t0)
      await p((cb) => db.close(cb))
      return out
    }
    default:
      throw new Error(`unknown ssb-db scenario ${name}`)
  }
}

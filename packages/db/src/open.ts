import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { FeedState } from '@ssb/feed'
import { type Log, openLog } from '@ssb/log'
import { ClassicLevel } from 'classic-level'
import { INDEX_DIR, INDEX_VERSION, LEVEL_WRITE_BUFFER_BYTES, LOG_DIR } from './constants.js'
import { META_KEY, decOffset, prefixEnd } from './index-keys.js'
import { type IndexState, type Level, type Meta, SeekIndex, freshMeta, parseMeta } from './index-state.js'
import { BatchPool } from './batch-pool.js'
import type { Logger } from './types.js'

export async function openLevel(dir: string): Promise<Level> {
  const level = new ClassicLevel<string, string>(dir, {
    keyEncoding: 'utf8',
    valueEncoding: 'utf8',
    writeBufferSize: LEVEL_WRITE_BUFFER_BYTES,
  })
  await level.open()
  return level
}

/** Opens the index store, throwing it away when it cannot be opened (corrupt files). */
async function openOrResetLevel(dir: string, logger: Logger | undefined): Promise<{ level: Level; reset: boolean }> {
  try {
    return { level: await openLevel(dir), reset: false }
  } catch (err) {
    const code = (err as { code?: string; cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code
    if (code === 'LEVEL_LOCKED') throw err
    logger?.warn('index store unreadable, rebuilding it', { err: String(err) })
    await rm(dir, { recursive: true, force: true })
    return { level: await openLevel(dir), reset: true }
  }
}

function staleReason(meta: Meta | null, log: Log): string | null {
  if (meta === null) return 'no checkpoint'
  if (meta.version !== INDEX_VERSION) return `index version ${meta.version} != ${INDEX_VERSION}`
  if (meta.generation !== log.generation) return `log generation ${log.generation} != ${meta.generation}`
  if (meta.since >= log.end) return `checkpoint ${meta.since} beyond log end ${log.end}`
  return null
}

export interface Opened {
  log: Log
  state: IndexState
  feeds: Map<string, FeedState>
}

/** Opens log and indexes; indexes that cannot be trusted are wiped (then rebuilt by catch-up). */
export async function openStores(dir: string, sync: 'always' | 'none' | undefined, logger: Logger | undefined): Promise<Opened> {
  const log = await openLog(sync === undefined ? { dir: join(dir, LOG_DIR) } : { dir: join(dir, LOG_DIR), sync })
  const indexDir = join(dir, INDEX_DIR)
  let level: Level | undefined
  try {
    const opened = await openOrResetLevel(indexDir, logger)
    level = opened.level
    const meta = parseMeta(await level.get(META_KEY))
    const reason = staleReason(meta, log)
    if (reason !== null) {
      if (meta !== null || opened.reset) logger?.info('rebuilding indexes', { reason })
      await level.close()
      await rm(indexDir, { recursive: true, force: true })
      level = await openLevel(indexDir)
      return { log, state: { level, seek: new SeekIndex(), meta: freshMeta(log.generation), batches: new BatchPool(level) }, feeds: new Map() }
    }
    const state: IndexState = { level, seek: new SeekIndex(), meta: meta!, batches: new BatchPool(level) }
    return { log, state, feeds: await loadMemory(state) }
  } catch (err) {
    await level?.close().catch(() => {})
    await log.close().catch(() => {})
    throw err
  }
}

/** Loads the in-memory parts of the indexes: latest state per feed and the seek samples. */
async function loadMemory(state: IndexState): Promise<Map<string, FeedState>> {
  const feeds = new Map<string, FeedState>()
  for (const [k, v] of await entries(state.level, 'F')) {
    const s = JSON.parse(v) as FeedState
    feeds.set(k.slice(1), { id: s.id, sequence: s.sequence, timestamp: s.timestamp })
  }
  for (const [k, v] of await entries(state.level, 'T')) state.seek.add(decOffset(k.slice(1)), Number(v))
  return feeds
}

async function entries(level: Level, prefix: string): Promise<Array<[string, string]>> {
  const it = level.iterator({ gte: prefix, lt: prefixEnd(prefix) })
  const out: Array<[string, string]> = []
  try {
    for (;;) {
      const chunk = await it.nextv(4096)
      if (chunk.length === 0) return out
      for (const e of chunk) out.push(e as [string, string])
    }
  } finally {
    await it.close()
  }
}

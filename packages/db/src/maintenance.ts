import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { isFeedId, isMsgId } from '@ssb/keys'
import { BatchPool } from './batch-pool.js'
import { INDEX_DIR } from './constants.js'
import type { Core } from './core.js'
import { forEachEntry } from './derive.js'
import { DbError } from './errors.js'
import {
  contactPrefix,
  decValueOffset,
  keyOfErase,
  keyOfLatest,
  keyOfMsg,
  prefixEnd,
  seqPrefix,
} from './index-keys.js'
import { SeekIndex, freshMeta } from './index-state.js'
import { forEachQueryEntry, isQueryKey } from './query-index.js'
import { openLevel } from './open.js'
import { decodeRecord, indexedContent } from './record.js'
import { decodeRun } from './runs.js'
import { catchUp } from './reindex.js'

/**
 * Erases messages from log and indexes. The index entries go first together with an `E` marker
 * listing the offsets; the log records are then zeroed and the marker removed. A crash in
 * between is finished by resumeErases() on the next open.
 */
async function eraseOffsets(core: Core, target: string, offsets: number[], extraDeletes: (b: ReturnType<Core['state']['level']['batch']>) => Promise<void>): Promise<void> {
  const level = core.state.level
  const batch = level.batch()
  // Query index entries of the erased messages that point at them (see reclaimTuples).
  const owned = new Set<string>()
  for (const off of offsets) {
    const bytes = await core.log.get(off)
    if (bytes === null) continue
    const kvt = decodeRecord(bytes)
    const m = { offset: off, kvt, content: indexedContent(kvt.value, core.opts.unbox, core.logger) }
    const shared: Array<[string, string]> = []
    forEachEntry(m, (k, v) => {
      if (isQueryKey(k)) shared.push([k, v])
      else batch.del(k)
    })
    for (const [k, v] of shared) {
      // A later message with an equal tuple owns the entry now: it stays.
      if ((await level.get(k)) !== v) continue
      batch.del(k)
      owned.add(k)
    }
  }
  if (owned.size > 0) await reclaimTuples(core, owned, new Set(offsets), batch)
  await extraDeletes(batch)
  batch.put(keyOfErase(target), JSON.stringify(offsets))
  await batch.write()
  await eraseLogRecords(core, target, offsets)
}

/**
 * A stored query index keeps one message per tuple, the latest (query-index.ts): an earlier
 * message with the tuple of an erased one was overwritten by it and must get the entry back.
 * Nothing indexes those earlier messages, so this reads the log once (only when an erased message
 * owned an entry, i.e. on most erases: O(log) work, like compact) and puts the latest remaining
 * message of each such tuple.
 */
async function reclaimTuples(core: Core, keys: Set<string>, erased: Set<number>, batch: ReturnType<Core['state']['level']['batch']>): Promise<void> {
  const upTo = core.indexer.indexedUpTo
  const latest = new Map<string, string>()
  for await (const entry of core.log.stream({ borrow: true })) {
    if (entry.offset > upTo) break
    if (erased.has(entry.offset)) continue
    const kvt = decodeRecord(entry.value)
    forEachQueryEntry({ offset: entry.offset, kvt, content: indexedContent(kvt.value, core.opts.unbox, core.logger) }, (k, v) => {
      if (keys.has(k)) latest.set(k, v)
    })
  }
  for (const [k, v] of latest) batch.put(k, v)
}

async function eraseLogRecords(core: Core, target: string, offsets: number[]): Promise<void> {
  for (const off of offsets) {
    if ((await core.log.get(off)) !== null) await core.log.erase(off)
  }
  await core.state.level.del(keyOfErase(target))
}

/** Erases every message of a feed and forgets the feed (a later add may start it again at 1). */
export async function eraseFeed(core: Core, feedId: string): Promise<number> {
  if (!isFeedId(feedId)) throw new DbError('DB_INVALID_ARGUMENT', 'erase needs a feed id')
  await core.indexer.caughtUp()
  const level = core.state.level
  const offsets: number[] = []
  const runKeys: string[] = []
  const sp = seqPrefix(feedId)
  for await (const [k, v] of level.iterator({ gte: sp, lt: prefixEnd(sp) })) {
    runKeys.push(k)
    offsets.push(...decodeRun(v))
  }
  const cp = contactPrefix(feedId)
  const edges = await level.keys({ gte: cp, lt: prefixEnd(cp) }).all()
  // Type runs are shared with other feeds and keep the offsets: readers skip erased records.
  await eraseOffsets(core, feedId, offsets, async (b) => {
    for (const k of runKeys) b.del(k)
    for (const k of edges) b.del(k)
    b.del(keyOfLatest(feedId))
  })
  core.feeds.delete(feedId)
  return offsets.length
}

/**
 * Erases one message. Like ssb-db, the feed's latest state and contact edges are not rewound:
 * the vector clock still counts it, so replication will not fetch it again. The sequence and
 * type runs keep its offset; readers skip erased records.
 */
export async function eraseMessage(core: Core, msgId: string): Promise<void> {
  if (!isMsgId(msgId)) throw new DbError('DB_INVALID_ARGUMENT', 'del needs a message or feed id')
  await core.indexer.caughtUp()
  const off = await core.state.level.get(keyOfMsg(msgId))
  if (off === undefined) throw new DbError('DB_NOT_FOUND', `not found: ${msgId}`)
  await eraseOffsets(core, msgId, [decValueOffset(off)], async () => {})
}

/** Finishes erasures a crash interrupted (their index entries are already gone). */
export async function resumeErases(core: Core): Promise<void> {
  const level = core.state.level
  for await (const [k, v] of level.iterator({ gte: 'E', lt: prefixEnd('E') })) {
    core.logger?.info('resuming interrupted erase', { target: k.slice(1) })
    await eraseLogRecords(core, k.slice(1), JSON.parse(v) as number[])
  }
}

/** Rewrites the log without erased records (offsets change) and rebuilds every index. */
export async function compact(core: Core, signal: AbortSignal | undefined): Promise<void> {
  await core.indexer.caughtUp()
  let release!: () => void
  core.maintenance = new Promise((r) => (release = r))
  core.epoch++
  try {
    if (core.reads > 0) await new Promise<void>((r) => core.readsDrained.push(r))
    const onProgress = core.opts.onProgress
    const compactOpts: { signal?: AbortSignal; onProgress?: (p: { done: number; total: number }) => void } = {}
    if (signal) compactOpts.signal = signal
    if (onProgress) compactOpts.onProgress = (p) => onProgress({ phase: 'compact', done: p.done, total: p.total })
    await core.log.compact(compactOpts)
    await core.state.level.close()
    const dir = join(core.opts.dir, INDEX_DIR)
    await rm(dir, { recursive: true, force: true })
    core.state.level = await openLevel(dir)
    core.state.batches = new BatchPool(core.state.level)
    core.state.seek = new SeekIndex()
    core.state.meta = freshMeta(core.log.generation)
    core.feeds.clear()
    await catchUp({
      log: core.log,
      state: core.state,
      feeds: core.feeds,
      unbox: core.opts.unbox,
      logger: core.logger,
      progress: core.progress,
      onProgress: core.opts.onProgress,
    })
    core.indexer.indexedUpTo = core.state.meta.since
  } finally {
    core.maintenance = null
    release()
  }
}

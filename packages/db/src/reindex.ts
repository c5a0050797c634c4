import type { FeedState } from '@ssb/feed'
import type { Log } from '@ssb/log'
import { PROGRESS_EVERY_BYTES, REINDEX_BATCH_RECORDS } from './constants.js'
import { IndexBatchBuilder, type IndexState } from './index-state.js'
import { type IndexedMsg, type Unbox, decodeRecord, indexedContent } from './record.js'
import type { Logger, ReindexProgress } from './types.js'

export interface CatchUpDeps {
  log: Log
  state: IndexState
  feeds: Map<string, FeedState>
  unbox: Unbox | undefined
  logger: Logger | undefined
  progress: { start: number; current: number; target: number }
  onProgress: ((p: ReindexProgress) => void) | undefined
  signal?: AbortSignal
}

/**
 * Indexes every log record after the checkpoint (all of them after a reset), in batches of
 * REINDEX_BATCH_RECORDS, each written with its checkpoint: a crash here resumes where it stopped.
 * Parsing the next batch overlaps with LevelDB writing the previous one.
 */
export async function catchUp(d: CatchUpDeps): Promise<number> {
  const { log, state, feeds, unbox, logger, progress } = d
  const since = state.meta.since
  const base = Math.max(since, 0)
  const target = log.end
  progress.start = base
  progress.current = base
  progress.target = target
  const total = Math.max(target - base, 0)
  let reported = 0
  const report = (offset: number, force: boolean): void => {
    progress.current = offset
    if (d.onProgress === undefined || total === 0) return
    const done = Math.min(offset - base, total)
    if (force || done - reported >= PROGRESS_EVERY_BYTES) {
      reported = done
      d.onProgress({ phase: 'reindex', done, total })
    }
  }
  let builder = new IndexBatchBuilder(state)
  let pending: Promise<void> | null = null
  let count = 0
  const flush = async (): Promise<void> => {
    const batch = builder.finish()
    const last = builder.lastOffset
    builder = new IndexBatchBuilder(state)
    // Never two writes in flight: LevelDB could apply them out of order and a crash would leave
    // a checkpoint ahead of the entries.
    if (pending !== null) await pending
    pending = batch.write()
    pending.catch(() => {}) // surfaced by the next await; this only avoids an unhandled rejection
    report(last, false)
  }
  // Records are decoded at once, so the stream lends its buffer instead of copying each one.
  const opts: { gt?: number; signal?: AbortSignal; borrow: true } = { borrow: true }
  if (since >= 0) opts.gt = since
  if (d.signal) opts.signal = d.signal
  for await (const entry of log.stream(opts)) {
    let m: IndexedMsg
    try {
      const kvt = decodeRecord(entry.value)
      m = { offset: entry.offset, kvt, content: indexedContent(kvt.value, unbox, logger) }
    } catch (err) {
      logger?.error('skipping unreadable log record', { offset: entry.offset, err: String(err) })
      continue
    }
    const v = m.kvt.value
    feeds.set(v.author, { id: m.kvt.key, sequence: v.sequence, timestamp: v.timestamp })
    builder.add(m)
    count++
    if (builder.count >= REINDEX_BATCH_RECORDS) await flush()
  }
  if (builder.count > 0) await flush()
  if (pending !== null) await pending
  progress.start = progress.current = progress.target = Math.max(log.end, target)
  if (count > 0) d.onProgress?.({ phase: 'reindex', done: total, total })
  return count
}

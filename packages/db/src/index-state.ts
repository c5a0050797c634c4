import type { ClassicLevel } from 'classic-level'
import type { BatchPool } from './batch-pool.js'
import { INDEX_VERSION, SEEK_WINDOW_BYTES } from './constants.js'
import { contactEdgeOf, forEachEntry, typeOf } from './derive.js'
import { META_KEY, keyOfContact, keyOfLatest, keyOfSeek } from './index-keys.js'
import type { IndexedMsg } from './record.js'
import { RunBuilder } from './runs.js'

export type Level = ClassicLevel<string, string>

/** The checkpoint stored with every index batch. */
export interface Meta {
  version: number
  /** log.generation the indexes were built from. */
  generation: number
  /** Offset of the last indexed record, -1 if none. */
  since: number
  /** Largest receive timestamp seen (the next one must be larger). */
  lastTs: number
}

export function parseMeta(raw: string | undefined): Meta | null {
  if (raw === undefined) return null
  try {
    const m = JSON.parse(raw) as Partial<Meta>
    if (
      typeof m.version === 'number' && typeof m.generation === 'number' &&
      typeof m.since === 'number' && typeof m.lastTs === 'number'
    ) {
      return m as Meta
    }
  } catch {
    // corrupt checkpoint: treated as missing, indexes are rebuilt
  }
  return null
}

/** Sparse receive-time → offset samples, ascending in both. */
export class SeekIndex {
  offsets: number[] = []
  ts: number[] = []
  private lastWindow = -1

  add(offset: number, ts: number): boolean {
    const w = Math.floor(offset / SEEK_WINDOW_BYTES)
    if (w === this.lastWindow) return false
    this.lastWindow = w
    this.offsets.push(offset)
    this.ts.push(ts)
    return true
  }

  /** Offset to start from to see every record with receive time >= ts (or > ts). */
  floor(ts: number): number {
    let lo = 0
    let hi = this.ts.length - 1
    let best = -1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (this.ts[mid]! < ts) {
        best = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return best === -1 ? 0 : this.offsets[best]!
  }

  /** An offset at or below which every record has receive time < ts... or Infinity. */
  ceil(ts: number): number {
    let lo = 0
    let hi = this.ts.length - 1
    let best = -1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (this.ts[mid]! > ts) {
        best = mid
        hi = mid - 1
      } else {
        lo = mid + 1
      }
    }
    return best === -1 ? Infinity : this.offsets[best]!
  }
}

export interface IndexState {
  level: Level
  seek: SeekIndex
  meta: Meta
  /** Reused write batches (see BatchPool). */
  batches: BatchPool
}

export function freshMeta(generation: number): Meta {
  return { version: INDEX_VERSION, generation, since: -1, lastTs: 0 }
}

type ChainedBatch = ReturnType<Level['batch']>

/** Index entries ready to be written in one LevelDB batch. */
export interface PendingBatch {
  write(): Promise<void>
}

/**
 * Writes the index entries of `msgs` (in log order) and the new checkpoint in ONE LevelDB batch,
 * so the checkpoint never claims more than what was written.
 */
export function writeIndexBatch(state: IndexState, msgs: IndexedMsg[]): Promise<void> {
  const b = new IndexBatchBuilder(state)
  for (let i = 0; i < msgs.length; i++) b.add(msgs[i]!)
  return b.finish().write()
}

/**
 * Accumulates index entries message by message (so a rebuild need not keep parsed messages
 * alive until the batch is written); finish() adds latest-per-feed and the checkpoint. Batches
 * must be written one after the other, in order.
 */
export class IndexBatchBuilder {
  private readonly batch: ChainedBatch
  private readonly latest = new Map<string, { id: string; sequence: number; timestamp: number }>()
  private readonly runs: RunBuilder
  count = 0
  lastOffset = -1

  constructor(private readonly state: IndexState) {
    this.batch = state.batches.acquire()
    this.runs = new RunBuilder(this.put)
  }

  private readonly put = (k: string, v: string): void => {
    this.batch.put(k, v)
  }

  add(m: IndexedMsg): void {
    const meta = this.state.meta
    const { kvt, offset } = m
    forEachEntry(m, this.put)
    this.runs.add(kvt.value.author, kvt.value.sequence, typeOf(m), offset)
    const edge = contactEdgeOf(m)
    if (edge !== null) this.batch.put(keyOfContact(edge.source, edge.dest), String(edge.value))
    this.latest.set(kvt.value.author, { id: kvt.key, sequence: kvt.value.sequence, timestamp: kvt.value.timestamp })
    if (this.state.seek.add(offset, kvt.timestamp)) this.batch.put(keyOfSeek(offset), String(kvt.timestamp))
    if (kvt.timestamp > meta.lastTs) meta.lastTs = kvt.timestamp
    if (offset > meta.since) meta.since = offset
    this.lastOffset = offset
    this.count++
  }

  finish(): PendingBatch {
    this.runs.finish()
    for (const [author, st] of this.latest) this.batch.put(keyOfLatest(author), JSON.stringify(st))
    this.batch.put(META_KEY, JSON.stringify(this.state.meta))
    const { batch } = this
    const { batches } = this.state
    return { write: () => batches.write(batch) }
  }
}

import type { BatchValidator, FeedState } from '@ssb/feed'
import type { Keys } from '@ssb/keys'
import type { Log } from '@ssb/log'
import type { MonotonicClock } from './clock.js'
import { DbError } from './errors.js'
import type { IndexState } from './index-state.js'
import type { Indexer } from './indexer.js'
import type { Subscription } from './live.js'
import type { DbOptions, Logger } from './types.js'

/** Shared state of one open database. */
export interface Core {
  readonly keys: Keys
  readonly logger: Logger | undefined
  readonly opts: DbOptions
  readonly hmacKey: Uint8Array | string | null
  /** Signature checks for addBatch (a worker pool when opts.batchWorkers > 0). */
  readonly validator: BatchValidator
  log: Log
  state: IndexState
  indexer: Indexer
  /** Committed (durable in the log) latest state per feed: the vector clock. */
  feeds: Map<string, FeedState>
  clock: MonotonicClock
  progress: { start: number; current: number; target: number }
  /** Set while the log is compacted and the indexes rebuilt; queries wait for it. */
  maintenance: Promise<void> | null
  /** Bumped by compaction: offsets read before it are stale. */
  epoch: number
  closed: boolean
  /** Live subscriptions, ended on close. */
  subscriptions: Set<Subscription<unknown>>
  /** Log reads in flight (compaction waits for them). */
  reads: number
  readsDrained: Array<() => void>
}

export function assertOpen(core: Core): void {
  if (core.closed) throw new DbError('DB_CLOSED', 'database is closed')
}

/** Resolves when no maintenance runs and everything appended so far is indexed. */
export async function settled(core: Core): Promise<void> {
  assertOpen(core)
  while (core.maintenance !== null) await core.maintenance
  assertOpen(core)
}

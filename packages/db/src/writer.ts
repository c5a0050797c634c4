import { type FeedState, type KVT, type MsgValue, type ValidationError, createMessage, validateMessage } from '@ssb/feed'
import { type Core, assertOpen } from './core.js'
import { MAX_GROUP_MESSAGES, MAX_INDEX_BACKLOG } from './constants.js'
import { DbError } from './errors.js'
import { findExisting } from './existing.js'
import { type IndexedMsg, encodeRecord, indexedContent } from './record.js'
import type { AddBatchResult } from './types.js'

type Obj = Record<string, unknown>
interface Settle<T> {
  resolve: (v: T) => void
  reject: (e: unknown) => void
}
type Job =
  | ({ kind: 'publish'; content: Obj | string } & Settle<KVT>)
  | ({ kind: 'add'; value: unknown } & Settle<KVT>)
  | ({ kind: 'batch'; values: unknown[] } & Settle<AddBatchResult>)
  | ({ kind: 'exclusive'; fn: () => Promise<unknown> } & Settle<unknown>)

/** What one job contributes to a write group. */
interface Outcome {
  job: Job
  records: KVT[]
  result?: unknown
  error?: unknown
}

function authorOf(v: unknown): string {
  const a = typeof v === 'object' && v !== null ? (v as Obj).author : undefined
  return typeof a === 'string' ? a : ''
}

/**
 * Serialises all writes. Queued add/publish/addBatch jobs are validated against the in-memory
 * feed states (plus what earlier jobs of the same group staged) and appended with ONE
 * log.appendBatch per group: group commit, so N concurrent publishes cost one fsync.
 */
export class Writer {
  private pending: Job[] = []
  private running = false
  private idleWaiters: Array<() => void> = []
  private failure: unknown = undefined

  constructor(private readonly core: Core) {}

  publish(content: Obj | string): Promise<KVT> {
    return this.submit<KVT>((s) => ({ kind: 'publish', content, ...s }))
  }

  add(value: unknown): Promise<KVT> {
    return this.submit<KVT>((s) => ({ kind: 'add', value, ...s }))
  }

  addBatch(values: unknown[]): Promise<AddBatchResult> {
    return this.submit<AddBatchResult>((s) => ({ kind: 'batch', values, ...s }))
  }

  /** Runs `fn` alone, after every write queued before it. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.submit<T>((s) => ({ kind: 'exclusive', fn, ...(s as Settle<unknown>) }) as Job)
  }

  idle(): Promise<void> {
    if (!this.running && this.pending.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private submit<T>(make: (s: Settle<T>) => Job): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      assertOpen(this.core)
      if (this.failure !== undefined) {
        throw new DbError('DB_WRITE_FAILED', 'an earlier log write failed; reopen the database', { cause: this.failure })
      }
      this.pending.push(make({ resolve, reject }))
      if (!this.running) void this.loop()
    })
  }

  private async loop(): Promise<void> {
    this.running = true
    while (this.pending.length > 0) {
      const first = this.pending[0]!
      if (first.kind === 'exclusive') {
        this.pending.shift()
        try {
          first.resolve(await first.fn())
        } catch (err) {
          first.reject(err)
        }
        continue
      }
      let n = 0
      let take = 0
      while (take < this.pending.length) {
        const j = this.pending[take]!
        if (j.kind === 'exclusive') break
        const size = j.kind === 'batch' ? j.values.length : 1
        if (take > 0 && n + size > MAX_GROUP_MESSAGES) break
        n += size
        take++
      }
      // Backpressure: appends (fast with sync 'none') must not run away from the indexer.
      await this.core.indexer.room(MAX_INDEX_BACKLOG)
      await this.runGroup(this.pending.splice(0, take))
    }
    this.running = false
    const ws = this.idleWaiters
    this.idleWaiters = []
    for (const w of ws) w()
  }

  private async runGroup(jobs: Job[]): Promise<void> {
    const core = this.core
    const staged = new Map<string, FeedState>()
    const inGroup = new Map<string, KVT>()
    const stateOf = (author: string): FeedState | null => staged.get(author) ?? core.feeds.get(author) ?? null
    const stage = (kvt: KVT, out: KVT[]): void => {
      const v = kvt.value
      staged.set(v.author, { id: kvt.key, sequence: v.sequence, timestamp: v.timestamp })
      inGroup.set(kvt.key, kvt)
      out.push(kvt)
    }
    const outcomes: Outcome[] = []
    for (const job of jobs) {
      const o: Outcome = { job, records: [] }
      outcomes.push(o)
      try {
        if (this.failure !== undefined) throw new DbError('DB_WRITE_FAILED', 'an earlier log write failed', { cause: this.failure })
        if (job.kind === 'publish') {
          const content = this.boxIfPrivate(job.content)
          const ts = core.clock.next()
          const msg = createMessage(core.keys, stateOf(core.keys.id), content, ts, { hmacKey: core.hmacKey })
          stage({ key: msg.key, value: msg.value, timestamp: ts }, o.records)
          o.result = o.records[0]
        } else if (job.kind === 'add') {
          const st = stateOf(authorOf(job.value))
          const existing = await findExisting(core, job.value, st, inGroup)
          if (existing !== null) {
            o.result = existing
            continue
          }
          const v = validateMessage(st, job.value, { hmacKey: core.hmacKey })
          stage({ key: v.key, value: v.value, timestamp: core.clock.next() }, o.records)
          o.result = o.records[0]
        } else if (job.kind === 'batch') {
          o.result = await this.stageBatch(job.values, stateOf, inGroup, (kvt) => stage(kvt, o.records))
          ;(o.result as AddBatchResult).stored = o.records
        }
      } catch (err) {
        o.error = err
      }
    }
    const records = outcomes.flatMap((o) => o.records)
    if (records.length > 0) {
      const encoded = records.map(encodeRecord)
      let offsets: number[]
      try {
        offsets = await core.log.appendBatch(encoded)
      } catch (err) {
        // Part of the batch may still be in the log: only a reopen (which re-reads the log) can
        // tell, so refuse further writes rather than risk a fork in our own log.
        this.failure = err
        core.logger?.error('log append failed', { err: String(err) })
        for (const o of outcomes) {
          if (o.records.length > 0) o.error = new DbError('DB_WRITE_FAILED', 'log append failed', { cause: err })
        }
        return this.settle(outcomes)
      }
      for (const [author, st] of staged) core.feeds.set(author, st)
      const msgs: IndexedMsg[] = records.map((kvt, i) => ({
        offset: offsets[i]!,
        kvt,
        content: indexedContent(kvt.value, core.opts.unbox, core.logger),
        bytes: encoded[i]!,
      }))
      core.progress.target = core.log.end
      core.indexer.enqueue(msgs)
    }
    this.settle(outcomes)
  }

  private settle(outcomes: Outcome[]): void {
    for (const o of outcomes) {
      if (o.error !== undefined) o.job.reject(o.error)
      else (o.job as Settle<unknown>).resolve(o.result)
    }
  }

  private boxIfPrivate(content: Obj | string): Obj | string {
    if (typeof content !== 'object' || content === null || content.recps == null) return content
    const box = this.core.opts.box
    if (!box) throw new DbError('DB_NO_BOXER', 'content has recps but no box hook is configured; refusing to publish it in clear')
    return box(content)
  }

  private async stageBatch(
    values: unknown[],
    stateOf: (author: string) => FeedState | null,
    inGroup: Map<string, KVT>,
    stage: (kvt: KVT) => void,
  ): Promise<AddBatchResult> {
    const core = this.core
    const runs = new Map<string, number[]>()
    values.forEach((v, i) => {
      const a = authorOf(v)
      const run = runs.get(a)
      if (run) run.push(i)
      else runs.set(a, [i])
    })
    const accepted: Array<{ key: KVT['key']; value: MsgValue } | undefined> = new Array(values.length)
    const errors: Array<{ at: number; error: ValidationError }> = []
    let duplicates = 0
    // Leading duplicates of each feed (lookups of all feeds at once), then the rest is checked.
    const fresh = await Promise.all(
      [...runs].map(async ([author, idx]) => {
        const st = stateOf(author)
        let k = 0
        while (k < idx.length && (await findExisting(core, values[idx[k]!], st, inGroup)) !== null) k++
        duplicates += k
        return k < idx.length ? { state: st, idx: k === 0 ? idx : idx.slice(k) } : null
      }),
    )
    const toCheck = fresh.filter((r) => r !== null)
    // All feeds in one call: replication batches hold many feeds with a few messages each, and
    // only together do they fill the verify workers' jobs.
    const results = await core.validator.validateRuns(
      toCheck.map((r) => ({ state: r.state, values: r.idx.map((i) => values[i]) })),
      { hmacKey: core.hmacKey },
    )
    results.forEach((r, n) => {
      const idx = toCheck[n]!.idx
      r.valid.forEach((m, j) => {
        accepted[idx[j]!] = m
      })
      if (r.error) errors.push({ at: idx[r.valid.length] ?? idx[idx.length - 1]!, error: r.error })
    })
    for (const m of accepted) if (m) stage({ key: m.key, value: m.value, timestamp: core.clock.next() })
    errors.sort((a, b) => a.at - b.at)
    const result: AddBatchResult = { stored: [], duplicates, errors: errors.map((e) => e.error) }
    if (errors.length > 0) result.error = errors[0]!.error
    return result
  }
}

import {
  MAX_WORKER_CHUNK_MESSAGES,
  MIN_WORKER_CHUNK_MESSAGES,
  PARALLEL_BATCH_THRESHOLD,
  WORKER_JOBS_PER_BATCH,
} from './constants.js'
import { ValidationError } from './errors.js'
import { JobBuilder } from './job-buffer.js'
import type { BatchResult, FeedOptions, FeedState } from './types.js'
import {
  checkSameAuthor,
  deferredHmacKey,
  invalidSignature,
  nextState,
  type PreparedMessage,
  prepareMessage,
  validateBatchSync,
  verifyPrepared,
} from './validate.js'
import { VerifyPool } from './worker-pool.js'

export interface BatchValidatorOptions {
  /** Verify workers (0 = validate on the calling thread only). Default 2. */
  workers?: number
  /** Batches shorter than this are validated on the calling thread. Default 256. */
  parallelThreshold?: number
  /** Messages per worker job. Default: adapted to the batch, 32..128. */
  chunkMessages?: number
}

/** One feed's messages for `validateRuns`: consecutive messages following `state`. */
export interface FeedRun {
  state: FeedState | null
  values: readonly unknown[]
}

export interface BatchValidator {
  /** As `validateBatch`, with signatures verified on the pool for large batches. */
  validateBatch(state: FeedState | null, values: readonly unknown[], opts?: FeedOptions): Promise<BatchResult>
  /**
   * `validateBatch` for several feeds at once, one result per run. Replication interleaves
   * many feeds with a few messages each; verifying them together fills the worker jobs that
   * per-feed batches (each below the parallel threshold) would leave on the calling thread.
   */
  validateRuns(runs: readonly FeedRun[], opts?: FeedOptions): Promise<BatchResult[]>
  /** Terminates the workers; later batches run on the calling thread. */
  close(): Promise<void>
}

interface PreparedRun {
  state: FeedState | null
  prepared: PreparedMessage[]
  /** Index (into the whole submission) of the run's first message. */
  first: number
  structuralError?: ValidationError
  /** Lowest index within the run whose signature failed. */
  firstBad: number
}

/**
 * A batch validator owning a lazily started pool of `workers` verify threads. Structure, chain
 * and ids are checked on the calling thread, in order; only Ed25519 (and HMAC) work is shipped.
 */
export function createBatchValidator(opts: BatchValidatorOptions = {}): BatchValidator {
  const workers = opts.workers ?? 2
  const threshold = opts.parallelThreshold ?? PARALLEL_BATCH_THRESHOLD
  const chunkFor = (n: number): number =>
    opts.chunkMessages ??
    Math.min(MAX_WORKER_CHUNK_MESSAGES, Math.max(MIN_WORKER_CHUNK_MESSAGES, Math.ceil(n / (workers * WORKER_JOBS_PER_BATCH))))
  const pool = workers > 0 ? new VerifyPool(workers, new URL('./verify-worker.js', import.meta.url)) : null

  async function validateParallel(pool: VerifyPool, input: readonly FeedRun[], opts: FeedOptions): Promise<BatchResult[]> {
    const hmacKey = deferredHmacKey(opts.hmacKey)
    const total = input.reduce((n, r) => n + r.values.length, 0)
    const chunk = chunkFor(total)
    // Whole-submission index → its run; jobs span runs, so a failure is mapped back through this.
    const runOf: PreparedRun[] = []
    const runs: PreparedRun[] = []
    const jobs: Array<{ start: number; count: number; verdict: Promise<number> }> = []
    let job = new JobBuilder(0, pool.takeBuffer())
    const submit = (): void => {
      const { start, count } = job
      const verdict = pool.submit(job.arrayBuffer(), count, hmacKey.key).then(
        (firstInvalid) => firstInvalid,
        // The worker died or the pool closed: verify this job here instead.
        () => {
          for (let i = start; i < start + count; i++) if (!verifyAt(i)) return i - start
          return -1
        },
      )
      jobs.push({ start, count, verdict })
    }
    const verifyAt = (i: number): boolean => {
      const run = runOf[i]!
      return verifyPrepared(run.prepared[i - run.first]!, hmacKey.key)
    }

    let next = 0
    for (const { state, values } of input) {
      const run: PreparedRun = { state, prepared: [], first: next, firstBad: Infinity }
      runs.push(run)
      let current = state
      for (let i = 0; i < values.length; i++) {
        try {
          if (i > 0) checkSameAuthor(run.prepared[0]!.value.author, values[i])
          const p = prepareMessage(current, values[i])
          if (hmacKey.error) throw hmacKey.error
          run.prepared.push(p)
          runOf.push(run)
          current = nextState(p)
          job.add(p)
          next++
          if (job.count === chunk) {
            submit()
            job = new JobBuilder(next, pool.takeBuffer())
          }
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err
          run.structuralError = err
          break
        }
      }
    }
    if (job.count > 0) submit()
    await pool.helpWithQueue()
    for (const { start, count, verdict } of jobs) {
      const bad = await verdict
      if (bad === -1) continue
      // A job stops at its first failure; what follows it there (other feeds) is checked here.
      const failedRun = runOf[start + bad]!
      failedRun.firstBad = Math.min(failedRun.firstBad, start + bad - failedRun.first)
      for (let i = start + bad + 1; i < start + count; i++) {
        const run = runOf[i]!
        if (i - run.first < run.firstBad && !verifyAt(i)) run.firstBad = i - run.first
      }
    }
    return runs.map((run) => {
      const firstBad = Math.min(run.firstBad, run.prepared.length)
      const valid = run.prepared.slice(0, firstBad).map((p) => ({ key: p.key, value: p.value }))
      const last = run.prepared[firstBad - 1]
      const result: BatchResult = { valid, state: last ? nextState(last) : run.state }
      const error = firstBad < run.prepared.length ? invalidSignature() : run.structuralError
      if (error) result.error = error
      return result
    })
  }

  const parallel = (total: number): boolean => pool !== null && !pool.closed && total >= threshold

  return {
    async validateBatch(state, values, opts = {}) {
      if (!parallel(values.length)) return validateBatchSync(state, values, opts)
      return (await validateParallel(pool!, [{ state, values }], opts))[0]!
    },
    async validateRuns(runs, opts = {}) {
      if (!parallel(runs.reduce((n, r) => n + r.values.length, 0))) return runs.map((r) => validateBatchSync(r.state, r.values, opts))
      return validateParallel(pool!, runs, opts)
    },
    async close() {
      await pool?.close()
    },
  }
}

/**
 * Validates a run of ONE feed's messages in order, stopping at the first invalid one. With
 * `workers > 0` and a large batch a temporary pool is started and closed again; to validate
 * many batches, keep a `createBatchValidator()` instead.
 */
export async function validateBatch(
  state: FeedState | null,
  values: readonly unknown[],
  opts: FeedOptions & { workers?: number } = {},
): Promise<BatchResult> {
  const workers = opts.workers ?? 0
  if (workers <= 0 || values.length < PARALLEL_BATCH_THRESHOLD) return validateBatchSync(state, values, opts)
  const validator = createBatchValidator({ workers })
  try {
    return await validator.validateBatch(state, values, opts)
  } finally {
    await validator.close()
  }
}

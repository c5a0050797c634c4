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

export interface BatchValidator {
  /** As `validateBatch`, with signatures verified on the pool for large batches. */
  validateBatch(state: FeedState | null, values: readonly unknown[], opts?: FeedOptions): Promise<BatchResult>
  /** Terminates the workers; later batches run on the calling thread. */
  close(): Promise<void>
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

  async function validateParallel(
    pool: VerifyPool,
    state: FeedState | null,
    values: readonly unknown[],
    opts: FeedOptions,
  ): Promise<BatchResult> {
    const hmacKey = deferredHmacKey(opts.hmacKey)
    const prepared: PreparedMessage[] = []
    const verdicts: Promise<number>[] = []
    let structuralError: ValidationError | undefined
    let current = state
    const chunk = chunkFor(values.length)

    const submit = (job: JobBuilder): void => {
      const { start, count } = job
      verdicts.push(
        pool.submit(job.arrayBuffer(), count, hmacKey.key).then(
          (firstInvalid) => (firstInvalid === -1 ? -1 : start + firstInvalid),
          () => {
            // The worker died or the pool closed: verify this job here instead.
            for (let i = start; i < start + count; i++) if (!verifyPrepared(prepared[i]!, hmacKey.key)) return i
            return -1
          },
        ),
      )
    }

    let job = new JobBuilder(0, pool.takeBuffer())
    for (let i = 0; i < values.length; i++) {
      try {
        if (i > 0) checkSameAuthor(prepared[0]!.value.author, values[i])
        const p = prepareMessage(current, values[i])
        if (hmacKey.error) throw hmacKey.error
        prepared.push(p)
        current = nextState(p)
        job.add(p)
        if (job.count === chunk) {
          submit(job)
          job = new JobBuilder(i + 1, pool.takeBuffer())
        }
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err
        structuralError = err
        break
      }
    }
    if (job.count > 0) submit(job)
    await pool.helpWithQueue()
    let firstBad = prepared.length
    for (const bad of await Promise.all(verdicts)) if (bad !== -1 && bad < firstBad) firstBad = bad
    const valid = prepared.slice(0, firstBad).map((p) => ({ key: p.key, value: p.value }))
    const last = prepared[firstBad - 1]
    const result: BatchResult = { valid, state: last ? nextState(last) : state }
    const error = firstBad < prepared.length ? invalidSignature() : structuralError
    if (error) result.error = error
    return result
  }

  return {
    async validateBatch(state, values, opts = {}) {
      if (pool === null || pool.closed || values.length < threshold) return validateBatchSync(state, values, opts)
      return validateParallel(pool, state, values, opts)
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

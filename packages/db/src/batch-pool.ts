import type { ClassicLevel } from 'classic-level'

type Batch = ReturnType<ClassicLevel<string, string>['batch']>
/** abstract-level's hook that writes a chained batch's operations (classic-level: the native batch). */
type Writable = Batch & { _write?: (options: object) => Promise<void> }

/** Batches kept for reuse: one being written while the next is filled. */
const KEPT = 2
/**
 * Larger batches are not kept: a cleared batch keeps its buffer's capacity, and one huge batch
 * (a backlog indexed at once) would pin it for good. A reindex batch is about 40,000 operations.
 */
const MAX_KEPT_OPERATIONS = 65_536

/**
 * Chained LevelDB batches that are reused instead of thrown away. classic-level frees a
 * written batch's native buffer only when its JS object is garbage collected, and V8, which does
 * not see that memory, put that off for hundreds of MiB of written batches during a reindex.
 * A reused batch is written through abstract-level's `_write` hook (what `write()` calls, minus
 * closing the batch) and then `clear()`ed, so its buffer is filled again rather than piling up.
 * Without that hook (another abstract-level), batches are written and dropped as usual.
 */
export class BatchPool {
  readonly #free: Batch[] = []

  constructor(private readonly level: ClassicLevel<string, string>) {}

  acquire(): Batch {
    return this.#free.pop() ?? this.level.batch()
  }

  /** Writes `batch`; afterwards it is cleared and kept for reuse (or dropped after an error). */
  async write(batch: Batch): Promise<void> {
    const hook = (batch as Writable)._write
    if (typeof hook !== 'function') return batch.write()
    try {
      await hook.call(batch, {})
    } catch (err) {
      await batch.close().catch(() => {})
      throw err
    }
    if (batch.length <= MAX_KEPT_OPERATIONS && this.#free.length < KEPT) {
      batch.clear()
      this.#free.push(batch)
    } else {
      await batch.close()
    }
  }
}

import { createHash } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { WRITE_BUFFER_BYTES, WRITES_IN_FLIGHT } from './constants.js'
import { abortError, BlobsError } from './errors.js'
import type { BlobSource } from './types.js'

/**
 * Pulls one chunk, or rejects with BLOB_ABORTED as soon as the signal fires, even while the
 * source is stalled (a for-await loop could only notice between chunks).
 */
function nextOrAbort<T>(it: AsyncIterator<T> | Iterator<T>, signal: AbortSignal | undefined): Promise<IteratorResult<T>> {
  const next = Promise.resolve(it.next())
  if (!signal) return next
  if (signal.aborted) return Promise.reject(abortError(signal))
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal))
    signal.addEventListener('abort', onAbort, { once: true })
    next.then(
      (r) => {
        signal.removeEventListener('abort', onAbort)
        resolve(r)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

function iteratorOf(source: BlobSource): AsyncIterator<Uint8Array> | Iterator<Uint8Array> {
  if (source instanceof Uint8Array) return [source][Symbol.iterator]()
  if (source !== null && typeof source === 'object') {
    if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]()
    if (Symbol.iterator in source) return source[Symbol.iterator]()
  }
  throw new BlobsError('BLOB_INVALID_ARGUMENT', 'source must be a Uint8Array or an (async) iterable of Uint8Array')
}

/**
 * Write buffers shared by the adds of one store. Fresh memory costs a page fault per 4 KiB on
 * first touch, and buffers that live through a whole transfer end up in V8's old generation,
 * where only a full GC frees them: a pool per blob made each 5 MiB transfer leave ~1.25 MiB for
 * a mark-compact. A buffer is handed out to one write at a time and given back once written.
 */
export class WriteBuffers {
  readonly #free: Buffer[] = []
  constructor(readonly keep: number = WRITES_IN_FLIGHT + 1) {}

  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(WRITE_BUFFER_BYTES)
  }

  give(buffer: Buffer): void {
    if (this.#free.length < this.keep) this.#free.push(buffer)
  }
}

export interface WriteSourceOptions {
  /** Largest total accepted: BLOB_TOO_LARGE the moment the total would exceed it. */
  maxSize: number
  signal?: AbortSignal | undefined
  buffers?: WriteBuffers
  /**
   * Start an fdatasync of what has been written (one at a time, not awaited) whenever this many
   * more bytes have been written since the last one began (0: never), so that the fsync after
   * the last chunk has only the rest to flush to disk instead of the whole blob.
   */
  syncEvery?: number
}

/**
 * Streams `source` into the open file while hashing it. Throws BLOB_TOO_LARGE the moment the
 * total would exceed `maxSize` (before writing the chunk that crosses it) and stops the
 * source.
 *
 * Chunks are copied into WRITE_BUFFER_BYTES buffers that are written at their offsets while
 * the next chunks arrive (at most WRITES_IN_FLIGHT at once): waiting for each write before
 * pulling the next chunk would leave the disk idle while the network delivers and the other
 * way round. Copying also frees the producer to reuse its buffer as soon as it yields again.
 * With `syncEvery`, bytes already written go to disk while later ones still arrive (the disk
 * flushes while the network delivers). Every write and sync has settled by the time this
 * returns or throws.
 */
export async function writeSource(
  fh: FileHandle,
  source: BlobSource,
  { maxSize, signal, buffers = new WriteBuffers(), syncEvery = 0 }: WriteSourceOptions,
): Promise<{ digest: Uint8Array; size: number }> {
  const it = iteratorOf(source)
  const hash = createHash('sha256')
  let size = 0
  let pending: Buffer | null = null
  let pendingLength = 0
  let finished = false
  const inFlight = new Set<Promise<void>>()
  let writeError: BlobsError | null = null
  let written = 0
  let syncedUpTo = 0
  let syncing: Promise<void> | null = null
  let syncsDone = false
  const syncWritten = (): void => {
    if (syncEvery <= 0 || syncsDone || syncing !== null || writeError !== null || written - syncedUpTo < syncEvery) return
    syncedUpTo = written
    syncing = fh.datasync().then(
      () => {
        syncing = null
        syncWritten()
      },
      (err: unknown) => {
        syncing = null
        writeError ??= new BlobsError('BLOB_IO', 'syncing a temporary file failed', { cause: err })
      },
    )
  }
  const writeAt = async (buf: Buffer, length: number, position: number): Promise<void> => {
    try {
      for (let done = 0; done < length; ) done += (await fh.write(buf, done, length - done, position + done)).bytesWritten
      written += length
      syncWritten()
    } catch (err) {
      writeError ??= new BlobsError('BLOB_IO', 'writing a temporary file failed', { cause: err })
    }
  }
  const flush = (): void => {
    if (pending === null || pendingLength === 0) return
    const buffer = pending
    const write = writeAt(buffer, pendingLength, size - pendingLength).finally(() => {
      inFlight.delete(write)
      buffers.give(buffer)
    })
    inFlight.add(write)
    pending = null
    pendingLength = 0
  }
  /** No sync starts after this; resolves once the one running (if any) has settled. */
  const endSyncs = async (): Promise<void> => {
    syncsDone = true
    while (syncing !== null) await syncing
  }
  const checkWrites = (): void => {
    if (writeError) throw writeError
  }
  /** Waits until fewer than WRITES_IN_FLIGHT writes run, then reports a failed one. */
  const roomToWrite = async (): Promise<void> => {
    while (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight)
    checkWrites()
  }
  try {
    for (;;) {
      await roomToWrite()
      const r = await nextOrAbort(it, signal)
      if (r.done) {
        finished = true
        break
      }
      const chunk: unknown = r.value
      if (!(chunk instanceof Uint8Array)) throw new BlobsError('BLOB_INVALID_ARGUMENT', 'source yielded a non-Uint8Array chunk')
      if (size + chunk.length > maxSize) {
        throw new BlobsError('BLOB_TOO_LARGE', `blob exceeds the ${maxSize}-byte limit`)
      }
      hash.update(chunk)
      for (let copied = 0; copied < chunk.length; ) {
        if (pending === null) {
          // A chunk larger than a write buffer (a local client may send a whole blob as one
          // frame) still has at most WRITES_IN_FLIGHT writes, and buffers, at once.
          await roomToWrite()
          pending = buffers.take()
        }
        const n = Math.min(chunk.length - copied, WRITE_BUFFER_BYTES - pendingLength)
        pending.set(n === chunk.length ? chunk : chunk.subarray(copied, copied + n), pendingLength)
        pendingLength += n
        copied += n
        size += n
        if (pendingLength === WRITE_BUFFER_BYTES) flush()
      }
    }
    flush()
    await Promise.all(inFlight)
    await endSyncs()
    checkWrites()
    return { digest: new Uint8Array(hash.digest()), size }
  } finally {
    if (!finished) {
      // Stop the producer (e.g. the RPC stream from a peer); don't wait on a stalled one.
      Promise.resolve(it.return?.()).catch(() => {})
    }
    // The caller closes the file next: no write or sync may still be running then.
    await Promise.allSettled(inFlight)
    await endSyncs()
    if (pending !== null) buffers.give(pending)
  }
}

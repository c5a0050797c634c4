import { createHash } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { READ_CHUNK_BYTES } from './constants.js'
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
 * Streams `source` into the open file while hashing it. Throws BLOB_TOO_LARGE the moment the
 * total would exceed `maxSize` (before writing the chunk that crosses it) and stops the
 * source. Small chunks are gathered into 64 KiB writes.
 */
export async function writeSource(
  fh: FileHandle,
  source: BlobSource,
  maxSize: number,
  signal: AbortSignal | undefined,
): Promise<{ digest: Uint8Array; size: number }> {
  const it = iteratorOf(source)
  const hash = createHash('sha256')
  let size = 0
  let pending: Buffer | null = null
  let pendingLength = 0
  let finished = false
  const write = async (buf: Uint8Array, length: number): Promise<void> => {
    try {
      for (let done = 0; done < length; ) done += (await fh.write(buf, done, length - done)).bytesWritten
    } catch (err) {
      throw new BlobsError('BLOB_IO', 'writing a temporary file failed', { cause: err })
    }
  }
  const flush = async (): Promise<void> => {
    if (pending && pendingLength > 0) await write(pending, pendingLength)
    pendingLength = 0
  }
  try {
    for (;;) {
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
      size += chunk.length
      hash.update(chunk)
      if (chunk.length >= READ_CHUNK_BYTES) {
        await flush()
        await write(chunk, chunk.length)
        continue
      }
      pending ??= Buffer.allocUnsafe(READ_CHUNK_BYTES)
      if (pendingLength + chunk.length > READ_CHUNK_BYTES) await flush()
      pending.set(chunk, pendingLength)
      pendingLength += chunk.length
    }
    await flush()
    return { digest: new Uint8Array(hash.digest()), size }
  } finally {
    if (!finished) {
      // Stop the producer (e.g. the RPC stream from a peer); don't wait on a stalled one.
      Promise.resolve(it.return?.()).catch(() => {})
    }
  }
}

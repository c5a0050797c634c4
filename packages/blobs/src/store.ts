import { type FileHandle, open, rename, rm, unlink, utimes } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type BlobId, blobIdFromHash } from '@ssb/keys'
import { ATIME_WRITE_INTERVAL_MS, DEFAULT_MAX_BLOB_BYTES, SYNC_EVERY_BYTES } from './constants.js'
import { blobPath, ensureFanout, type IndexEntry, resetTmp, scanBlobs, syncDir, tmpPath } from './disk.js'
import { abortError, BlobsError } from './errors.js'
import { assertBlobId, EMPTY_BLOB_ID } from './ids.js'
import { silentLogger } from './logger.js'
import { Topic } from './live.js'
import { chooseEvictions } from './quota.js'
import { readRange } from './read-blob.js'
import type { AddOptions, BlobMeta, BlobSource, BlobStore, BlobStoreOptions, GetOptions, LsOptions } from './types.js'
import { WriteBuffers, writeSource } from './write-blob.js'

/**
 * Smallest step between two access times. libuv keeps whole microseconds of a utimes time, and
 * a time in ms since 1970 as a double in seconds is only good to a quarter microsecond: 1 µs
 * steps could collapse into one value and swap the order on disk. 10 µs cannot.
 */
const ATIME_STEP_MS = 0.01

function checkLimit(value: unknown, title: string): number {
  if (value === Infinity) return Infinity
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new BlobsError('BLOB_INVALID_ARGUMENT', `${title} must be a non-negative integer or Infinity`)
  }
  return value
}

function checkOffset(value: number | undefined, title: string): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isSafeInteger(value) || value < 0) throw new BlobsError('BLOB_INVALID_ARGUMENT', `${title} must be a non-negative integer`)
  return value
}

/** File system failures become BLOB_IO; errors of the caller's source pass through untouched. */
function io<T>(p: Promise<T>, what: string): Promise<T> {
  return p.catch((err: unknown) => {
    throw new BlobsError('BLOB_IO', `${what} failed`, { cause: err })
  })
}

/**
 * Opens (creating if needed) a content-addressed blob store in the multiblob layout. Startup
 * deletes `{dir}/tmp` (interrupted adds) and scans `{dir}/sha256` into an in-memory index
 * (size, mtime, atime per blob). One store per folder: the owner of the folder (the server's
 * lock on ~/.ssb) must make sure of that.
 */
export async function openBlobStore(opts: BlobStoreOptions): Promise<BlobStore> {
  if (typeof opts?.dir !== 'string' || opts.dir === '') throw new BlobsError('BLOB_INVALID_ARGUMENT', 'dir is required')
  const dir = opts.dir
  const defaultMax = checkLimit(opts.maxSize ?? DEFAULT_MAX_BLOB_BYTES, 'maxSize')
  const quotaBytes = opts.quotaBytes === undefined ? undefined : checkLimit(opts.quotaBytes, 'quotaBytes')
  const isPinned = opts.isPinned ?? (() => false)
  const fsync = opts.fsync ?? true
  const writeBuffers = new WriteBuffers()
  const atimeWriteIntervalMs = checkLimit(opts.atimeWriteIntervalMs ?? ATIME_WRITE_INTERVAL_MS, 'atimeWriteIntervalMs')
  const logger = (opts.logger ?? silentLogger).child({ component: 'blobs:store' })

  await resetTmp(dir)
  await ensureFanout(dir, fsync)
  const index: Map<BlobId, IndexEntry> = await scanBlobs(dir, logger)
  let totalBytes = 0
  for (const e of index.values()) totalBytes += e.size
  let useSeq = index.size
  // New access times continue after the newest one on disk, so that the order stays right across
  // a restart even if the wall clock stepped back meanwhile.
  let lastAtime = 0
  // (Times far in the future, from a file copied in from a skewed machine, are not followed.)
  const future = Date.now() + 3_600_000
  for (const e of index.values()) if (e.atime < future) lastAtime = Math.max(lastAtime, e.atime)
  const atimeWrites = new Set<Promise<void>>()
  const added = new Topic<BlobMeta>()
  let closed = false
  let evicting: Promise<void> = Promise.resolve()
  logger.info('blob store opened', { dir, count: index.size, totalBytes })

  function checkOpen(): void {
    if (closed) throw new BlobsError('BLOB_CLOSED', 'blob store is closed')
  }

  function remember(id: BlobId, size: number, ts: number): boolean {
    const old = index.get(id)
    if (old) {
      touch(old)
      return false
    }
    // atimeWritten: never, so the first read persists its time whatever the clock did since.
    index.set(id, { size, ts, atime: ts, atimeWritten: Number.NEGATIVE_INFINITY, seq: ++useSeq })
    totalBytes += size
    return true
  }

  function forget(id: BlobId): void {
    const e = index.get(id)
    if (!e) return
    index.delete(id)
    totalBytes -= e.size
  }

  async function evict(keep: BlobId): Promise<void> {
    if (quotaBytes === undefined) return
    const victims = await chooseEvictions(index, totalBytes, quotaBytes, new Set([keep]), isPinned)
    for (const id of victims) {
      try {
        await unlink(blobPath(dir, id))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          logger.error('could not evict blob', { id, err })
          continue
        }
      }
      logger.debug('evicted blob', { id, size: index.get(id)?.size })
      forget(id)
    }
    if (totalBytes > quotaBytes) logger.warn('over blob quota with only pinned blobs left', { totalBytes, quotaBytes })
  }

  function touch(entry: IndexEntry): void {
    entry.seq = ++useSeq
    entry.atime = Math.max(Date.now(), lastAtime + ATIME_STEP_MS)
    lastAtime = entry.atime
  }

  // Persists the access time in the file itself (explicit utimes works under noatime too), at
  // most once per interval, so LRU order survives restarts without an index file. Called after
  // the read so that the kernel's own atime update on read cannot land after ours. Times step
  // by at least ATIME_STEP_MS so that the order is exact even within one millisecond.
  function persistAtime(id: BlobId, entry: IndexEntry): void {
    if (entry.atime - entry.atimeWritten < atimeWriteIntervalMs) return
    entry.atimeWritten = entry.atime
    const write = utimes(blobPath(dir, id), entry.atime / 1000, entry.ts / 1000)
      .catch(() => {})
      .finally(() => atimeWrites.delete(write))
    atimeWrites.add(write)
  }

  async function add(source: BlobSource, addOpts: AddOptions = {}): Promise<{ id: BlobId; size: number }> {
    checkOpen()
    const { expectedId, signal } = addOpts
    if (expectedId !== undefined) assertBlobId(expectedId, 'expectedId')
    const maxSize = checkLimit(addOpts.maxSize ?? defaultMax, 'maxSize')
    if (signal?.aborted) throw abortError(signal)
    const tmp = tmpPath(dir)
    let fh: FileHandle | undefined = await io(open(tmp, 'wx'), 'creating a temporary file')
    let renamed = false
    try {
      const { digest, size } = await writeSource(fh, source, { maxSize, signal, buffers: writeBuffers, syncEvery: fsync ? SYNC_EVERY_BYTES : 0 })
      if (fsync) await io(fh.sync(), 'fsync')
      const handle = fh
      fh = undefined
      await io(handle.close(), 'close')
      const id = blobIdFromHash(digest)
      if (expectedId !== undefined && id !== expectedId) {
        throw new BlobsError('BLOB_HASH_MISMATCH', `content hashes to ${id}, expected ${expectedId}`)
      }
      if (signal?.aborted) throw abortError(signal)
      const final = blobPath(dir, id)
      // atomic: readers see no blob or the whole blob. The folder exists unless someone removed it.
      await io(
        rename(tmp, final).catch(async (err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err
          await ensureFanout(dir, fsync)
          await rename(tmp, final)
        }),
        'rename',
      )
      renamed = true
      if (fsync) await io(syncDir(dirname(final)), 'fsync of the folder')
      const ts = Date.now()
      if (remember(id, size, ts)) {
        added.publish({ id, size, ts })
        evicting = evicting
          .then(() => evict(id))
          .catch((err: unknown) => logger.error('blob eviction failed', { err }))
        await evicting
      }
      return { id, size }
    } finally {
      if (fh) await fh.close().catch(() => {})
      if (!renamed) await rm(tmp, { force: true }).catch(() => {})
    }
  }

  function get(id: string, getOpts: GetOptions = {}): AsyncIterable<Uint8Array> {
    return (async function* () {
      checkOpen()
      assertBlobId(id)
      const start = checkOffset(getOpts.start, 'start') ?? 0
      const end = checkOffset(getOpts.end, 'end')
      const expectSize = checkOffset(getOpts.size, 'size')
      const max = getOpts.max === undefined ? undefined : checkLimit(getOpts.max, 'max')
      const entry = index.get(id)
      const size = id === EMPTY_BLOB_ID ? 0 : entry?.size
      if (size === undefined) throw new BlobsError('BLOB_NOT_FOUND', `blob not found: ${id}`)
      if (expectSize !== undefined && expectSize !== size) {
        throw new BlobsError('BLOB_SIZE_MISMATCH', `blob is ${size} bytes, requested size ${expectSize}`)
      }
      if (max !== undefined && size > max) throw new BlobsError('BLOB_TOO_LARGE', `blob is ${size} bytes, max ${max}`)
      if (!entry) return
      touch(entry)
      try {
        yield* readRange(blobPath(dir, id), start, Math.min(end ?? size, size), getOpts.signal)
      } catch (err) {
        if (err instanceof BlobsError && err.code === 'BLOB_NOT_FOUND') forget(id) // removed behind our back
        throw err
      } finally {
        if (index.get(id) === entry) persistAtime(id, entry)
      }
    })()
  }

  function ls(lsOpts: LsOptions = {}): AsyncIterable<BlobMeta> {
    checkOpen()
    const { old = true, live = false, signal } = lsOpts
    const sub = live ? added.subscribe(signal) : null // subscribe now: no gap between old and live
    const snapshot = old ? [...index].map(([id, e]) => ({ id, size: e.size, ts: e.ts })).sort((a, b) => a.ts - b.ts) : []
    return (async function* () {
      for (const meta of snapshot) {
        if (signal?.aborted) return
        yield meta
      }
      if (sub) yield* sub
    })()
  }

  return {
    add,
    get,
    ls,
    async has(id) {
      checkOpen()
      assertBlobId(id)
      return id === EMPTY_BLOB_ID || index.has(id)
    },
    async size(id) {
      checkOpen()
      assertBlobId(id)
      return id === EMPTY_BLOB_ID ? 0 : (index.get(id)?.size ?? null)
    },
    async meta(id) {
      checkOpen()
      assertBlobId(id)
      if (id === EMPTY_BLOB_ID) return { id, size: 0, ts: 0 }
      const e = index.get(id)
      return e ? { id, size: e.size, ts: e.ts } : null
    },
    async rm(id) {
      checkOpen()
      assertBlobId(id)
      await io(rm(blobPath(dir, id), { force: true }), 'removing a blob')
      forget(id)
    },
    changes(changeOpts = {}) {
      checkOpen()
      const sub = added.subscribe(changeOpts.signal)
      return (async function* () {
        for await (const meta of sub) yield meta.id
      })()
    },
    resolvePath(id) {
      assertBlobId(id)
      return blobPath(dir, id)
    },
    stats: () => ({ count: index.size, totalBytes }),
    async close() {
      closed = true
      added.close()
      await Promise.all([...atimeWrites])
    },
  }
}

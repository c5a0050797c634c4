import type { BlobId } from '@ssb/keys'
import type { Logger } from './logger.js'

export interface BlobMeta {
  id: BlobId
  size: number
  /** When the blob was stored (file mtime), ms since the epoch. */
  ts: number
}

export type BlobSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array

export interface AddOptions {
  /** Refuse (BLOB_HASH_MISMATCH) unless the bytes hash to this id. */
  expectedId?: string
  /** Byte limit for this add; defaults to the store's `maxSize`. Pass `Infinity` for no limit. */
  maxSize?: number
  signal?: AbortSignal
}

export interface GetOptions {
  /** First byte (inclusive), default 0. */
  start?: number
  /** Last byte (exclusive), default the blob's size. */
  end?: number
  /** BLOB_SIZE_MISMATCH unless the blob has exactly this size (blobs.get `size`). */
  size?: number
  /** BLOB_TOO_LARGE if the blob is larger (blobs.get `max`). */
  max?: number
  signal?: AbortSignal
}

export interface LsOptions {
  /** Blobs already stored (default true). */
  old?: boolean
  /** Then blobs as they are added, until aborted (default false). */
  live?: boolean
  signal?: AbortSignal
}

export interface BlobStoreOptions {
  /** The blobs folder (e.g. `~/.ssb/blobs`); holds `sha256/` and `tmp/`. */
  dir: string
  /** Default byte limit of add(); 5 MiB (DEFAULT_MAX_BLOB_BYTES). */
  maxSize?: number
  /** Evict least recently used, unpinned blobs when the total exceeds this. Off by default. */
  quotaBytes?: number
  /** Blobs that are never evicted (e.g. our own, or referenced by our messages). */
  isPinned?: (id: BlobId) => boolean | Promise<boolean>
  /**
   * How often a blob's access time is written to its file (utimes) so LRU order survives a
   * restart; default ATIME_WRITE_INTERVAL_MS (1 hour). In between it is kept in memory.
   */
  atimeWriteIntervalMs?: number
  /** fsync files and folders before add() resolves (default true). */
  fsync?: boolean
  logger?: Logger
}

export interface BlobStore {
  add(source: BlobSource, opts?: AddOptions): Promise<{ id: BlobId; size: number }>
  get(id: string, opts?: GetOptions): AsyncIterable<Uint8Array>
  has(id: string): Promise<boolean>
  size(id: string): Promise<number | null>
  meta(id: string): Promise<BlobMeta | null>
  ls(opts?: LsOptions): AsyncIterable<BlobMeta>
  rm(id: string): Promise<void>
  changes(opts?: { signal?: AbortSignal }): AsyncIterable<BlobId>
  /** The file a stored blob lives in (for serving it by other means). */
  resolvePath(id: string): string
  stats(): { count: number; totalBytes: number }
  close(): Promise<void>
}

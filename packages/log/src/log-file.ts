import { BlockCache } from './block-cache.js'
import { CACHE_BLOCK_BYTES, FILE_HEADER_BYTES } from './constants.js'
import type { DataFile } from './file.js'
import type { FileHeader } from './file-header.js'
import { ScratchPool } from './frame-scan.js'
import { saltFor } from './frame.js'
import type { ReadSlicer } from './read-slicer.js'

/** One generation's data file and everything tied to it; compaction swaps in a new one. */
export class LogFile {
  readonly salt: number
  readonly base: number
  readonly generation: number
  readonly cache: BlockCache
  /** Read buffers for streams and readMany. */
  readonly scratch = new ScratchPool()
  /** Odd while an in-place write (erase) runs; bumped before and after it. */
  eraseEpoch = 0

  constructor(
    readonly file: DataFile,
    readonly header: FileHeader,
    cacheBytes: number,
    /** Shared by the log's generations: when get() may read synchronously. */
    readonly reads: ReadSlicer,
  ) {
    this.salt = saltFor(header.fileId)
    this.base = header.baseOffset
    this.generation = header.generation
    this.cache = new BlockCache(cacheBytes, CACHE_BLOCK_BYTES)
  }

  /** Reads for get(), streams and readMany: synchronously while the slicer allows it, else through the thread pool. */
  readAt(target: Uint8Array, length: number, position: number): number | Promise<number> {
    return this.reads.allowSync() ? this.file.readSync(target, 0, length, position) : this.file.read(target, 0, length, position)
  }

  /** As readAt, into several buffers back to back. */
  readvAt(buffers: Uint8Array[], position: number): number | Promise<number> {
    return this.reads.allowSync() ? this.file.readvSync(buffers, position) : this.file.readv(buffers, position)
  }

  /** File position of a logical offset. */
  pos(offset: number): number {
    return FILE_HEADER_BYTES + offset - this.base
  }

  /** Logical offset of a file position. */
  offsetAt(pos: number): number {
    return pos - FILE_HEADER_BYTES + this.base
  }
}

import { allocBytes } from './file.js'

export interface Block {
  data: Uint8Array
  /** Valid bytes: a block read at the end of the file may be partial. */
  length: number
}

/** Evicted block buffers kept for reuse. */
const MAX_SPARE_BUFFERS = 256

/**
 * LRU cache of fixed-size file blocks (Map keeps insertion order; a hit re-inserts).
 *
 * The memory of evicted blocks is read into again (`buffer()`): fresh memory costs a page
 * fault per 4 KiB on first touch, which on a VM is most of a random read's cost. A reader holds
 * a block only until its next await (readFrame copies what it needs), so an evicted buffer is
 * handed out again only after the event loop turned (setImmediate), when no reader can still
 * be looking at it.
 */
export class BlockCache {
  private readonly blocks = new Map<number, Block>()
  private readonly maxBlocks: number
  private readonly spare: Uint8Array[] = []
  private retired: Uint8Array[] = []
  private releasing = false
  private readonly release = (): void => {
    this.releasing = false
    for (const b of this.retired) if (this.spare.length < MAX_SPARE_BUFFERS) this.spare.push(b)
    this.retired = []
  }

  constructor(
    maxBytes: number,
    readonly blockBytes: number,
  ) {
    this.maxBlocks = Math.floor(maxBytes / blockBytes)
  }

  get enabled(): boolean {
    return this.maxBlocks > 0
  }

  /** A block-sized buffer to read a block into: a retired one when the loop has turned since. */
  buffer(): Uint8Array {
    return this.spare.pop() ?? allocBytes(this.blockBytes)
  }

  private retire(block: Block): void {
    if (block.data.length !== this.blockBytes) return
    this.retired.push(block.data)
    if (!this.releasing) {
      this.releasing = true
      setImmediate(this.release).unref()
    }
  }

  get(index: number): Block | undefined {
    const block = this.blocks.get(index)
    if (block) {
      this.blocks.delete(index)
      this.blocks.set(index, block)
    }
    return block
  }

  /** Looks up without refreshing the entry's recency. */
  peek(index: number): Block | undefined {
    return this.blocks.get(index)
  }

  set(index: number, data: Uint8Array, length: number): void {
    if (this.maxBlocks === 0) return
    const old = this.blocks.get(index)
    this.blocks.delete(index)
    if (old !== undefined && old.data !== data) this.retire(old)
    this.blocks.set(index, { data, length })
    if (this.blocks.size > this.maxBlocks) {
      const oldest = this.blocks.keys().next().value as number
      this.retire(this.blocks.get(oldest)!)
      this.blocks.delete(oldest)
    }
  }

  /** Drops every block overlapping file positions [start, end). */
  invalidate(start: number, end: number): void {
    const first = Math.floor(start / this.blockBytes)
    const last = Math.floor((end - 1) / this.blockBytes)
    for (let i = first; i <= last; i++) {
      const b = this.blocks.get(i)
      if (b === undefined) continue
      this.blocks.delete(i)
      this.retire(b)
    }
  }

  clear(): void {
    this.blocks.clear()
  }
}

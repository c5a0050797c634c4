export interface Block {
  data: Uint8Array
  /** Valid bytes: a block read at the end of the file may be partial. */
  length: number
}

/** LRU cache of fixed-size file blocks (Map keeps insertion order; a hit re-inserts). */
export class BlockCache {
  private readonly blocks = new Map<number, Block>()
  private readonly maxBlocks: number

  constructor(
    maxBytes: number,
    readonly blockBytes: number,
  ) {
    this.maxBlocks = Math.floor(maxBytes / blockBytes)
  }

  get enabled(): boolean {
    return this.maxBlocks > 0
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
    this.blocks.delete(index)
    this.blocks.set(index, { data, length })
    if (this.blocks.size > this.maxBlocks) {
      const oldest = this.blocks.keys().next().value as number
      this.blocks.delete(oldest)
    }
  }

  /** Drops every block overlapping file positions [start, end). */
  invalidate(start: number, end: number): void {
    const first = Math.floor(start / this.blockBytes)
    const last = Math.floor((end - 1) / this.blockBytes)
    for (let i = first; i <= last; i++) this.blocks.delete(i)
  }

  clear(): void {
    this.blocks.clear()
  }
}

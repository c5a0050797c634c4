import { FRAME_HEADER_BYTES, FRAME_OVERHEAD_BYTES, STREAM_BLOCK_BYTES, STREAM_FIRST_BLOCK_BYTES } from './constants.js'
import { allocBytes } from './file.js'
import { checkHeader, wordLength } from './frame.js'
import type { LogFile } from './log-file.js'

/** A reusable read buffer that grows for frames larger than it. */
export class ScanBuffer {
  bytes!: Uint8Array
  view!: DataView
  /** The same memory as a Buffer, for Buffer#copy. */
  buf!: Buffer

  constructor(initialBytes = STREAM_FIRST_BLOCK_BYTES) {
    this.set(allocBytes(initialBytes))
  }

  ensure(length: number): void {
    if (this.bytes.length >= length) return
    this.set(allocBytes(Math.max(length, Math.min(this.bytes.length * 2, STREAM_BLOCK_BYTES))))
  }

  private set(bytes: Uint8Array): void {
    this.bytes = bytes
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
}

/** Scan buffers kept per log file; larger ones (grown for a huge frame) are dropped. */
const MAX_SPARE_SCAN_BUFFERS = 2
const MAX_SPARE_SCAN_BUFFER_BYTES = 2 * STREAM_BLOCK_BYTES

/**
 * Read buffers reused by streams and readMany. Fresh memory costs a page fault per 4 KiB on
 * first touch (about 1 ms per MiB on a VM), more than reading that MiB from the page cache.
 */
export class ScratchPool {
  readonly #free: ScanBuffer[] = []

  acquire(): ScanBuffer {
    return this.#free.pop() ?? new ScanBuffer()
  }

  release(buffer: ScanBuffer): void {
    if (this.#free.length < MAX_SPARE_SCAN_BUFFERS && buffer.bytes.length <= MAX_SPARE_SCAN_BUFFER_BYTES) this.#free.push(buffer)
  }
}

/** Whole frames found in one block read; `at[i]` indexes buffer.bytes, the frame's offset is `offsets[i]`. */
export interface ScanBlock {
  buffer: ScanBuffer
  offsets: number[]
  words: number[]
  at: number[]
  /** Offset right after the last whole frame of this block. */
  next: number
  /** Set when a frame starting here failed its header or trailer check (or runs past `limit`). */
  bad: number | null
}

/**
 * Reads frames forward from `from` (a frame boundary) up to `limit`, in blocks that start at
 * `firstBlockBytes` and double up to STREAM_BLOCK_BYTES, checking each header (crc bound to its
 * offset) and trailer. Payload crcs are left to the caller, who copies or checks them. Yields
 * one block at a time; the buffer is reused by the next block.
 */
export async function* scanForward(
  lf: LogFile,
  from: number,
  limit: number,
  maxRecordBytes: number,
  buffer = new ScanBuffer(),
  firstBlockBytes = STREAM_FIRST_BLOCK_BYTES,
): AsyncGenerator<ScanBlock> {
  let pos = from
  let blockBytes = firstBlockBytes
  while (pos < limit) {
    const want = Math.min(limit - pos, Math.max(blockBytes, FRAME_HEADER_BYTES))
    buffer.ensure(want)
    const read = lf.readAt(buffer.bytes, want, lf.pos(pos))
    const n = typeof read === 'number' ? read : await read
    const block: ScanBlock = { buffer, offsets: [], words: [], at: [], next: pos, bad: null }
    const view = buffer.view
    let p = 0
    let needed = 0
    while (n - p >= FRAME_HEADER_BYTES) {
      const offset = pos + p
      const word = checkHeader(view, p, offset, lf.salt, maxRecordBytes)
      const size = word < 0 ? 0 : wordLength(word) + FRAME_OVERHEAD_BYTES
      if (word < 0 || offset + size > limit) {
        block.bad = offset
        break
      }
      if (p + size > n) {
        needed = size
        break
      }
      if (view.getUint32(p + size - 4, true) !== word) {
        block.bad = offset
        break
      }
      block.offsets.push(offset)
      block.words.push(word)
      block.at.push(p)
      p += size
    }
    block.next = pos + p
    if (block.bad === null && p === 0 && needed === 0) block.bad = pos // fewer than 12 bytes left before limit
    yield block
    if (block.bad !== null) return
    pos += p
    blockBytes = Math.max(needed, Math.min(STREAM_BLOCK_BYTES, blockBytes * 2))
  }
}

import { CACHE_BLOCK_BYTES, FRAME_HEADER_BYTES, FRAME_OVERHEAD_BYTES, MAX_RECORD_BYTES } from './constants.js'
import type { ReadHost } from './core.js'
import { LogError } from './errors.js'
import { allocBytes } from './file.js'
import { checkBody, checkHeader, frameAt, wordErased, wordLength } from './frame.js'
import type { Block } from './block-cache.js'
import type { LogFile } from './log-file.js'

const MAX_ATTEMPTS = 4

export function badOffset(offset: number, why: string): LogError {
  return new LogError('LOG_BAD_OFFSET', `no record starts at offset ${offset}: ${why}`, { offset })
}

/** Validates that `offset` can name a record of the current log; flushes queued appends it needs. */
export async function prepareRead(host: ReadHost, offset: number): Promise<LogFile> {
  host.assertOpen()
  const lf = host.current
  if (!Number.isSafeInteger(offset)) throw badOffset(offset, 'not an integer')
  if (offset < lf.base || offset >= host.writer.ackedEnd) throw badOffset(offset, `outside [${lf.base}, ${host.writer.ackedEnd})`)
  if (offset + FRAME_OVERHEAD_BYTES > host.writer.fileEnd) await host.writer.flushAll()
  return lf
}

/** The record at `offset`, null for a tombstone. */
export function getRecord(host: ReadHost, offset: number): Promise<Uint8Array | null> {
  const lf = host.current
  // Fast path without any await: a valid frame whose blocks are all in the cache.
  if (!host.closed && Number.isSafeInteger(offset) && offset >= lf.base && offset + FRAME_OVERHEAD_BYTES <= host.writer.fileEnd) {
    const hit = cachedFrame(lf, offset, host.writer.fileEnd)
    if (hit !== undefined) return Promise.resolve(hit)
  }
  return readRecord(host, offset)
}

async function readRecord(host: ReadHost, offset: number): Promise<Uint8Array | null> {
  const lf = await prepareRead(host, offset)
  for (let attempt = 1; ; attempt++) {
    const epoch = lf.eraseEpoch
    let result: Uint8Array | null | 'retry'
    try {
      // Erases keep racing this frame: read it once more with them held off.
      result =
        attempt >= MAX_ATTEMPTS
          ? await host.io.run(() => readFrame(lf, offset, host.writer.fileEnd, lf.eraseEpoch, true))
          : await readFrame(lf, offset, host.writer.fileEnd, epoch, false)
    } catch (err) {
      if (err instanceof LogError) throw err
      throw host.readError(err, lf, offset)
    }
    if (result !== 'retry') return result
  }
}

/** The record from cached blocks only; undefined when a block is missing or anything is off (the slow path decides). */
function cachedFrame(lf: LogFile, offset: number, fileEnd: number): Uint8Array | null | undefined {
  const B = CACHE_BLOCK_BYTES
  const pos = lf.pos(offset)
  const index = Math.floor(pos / B)
  const block = lf.cache.peek(index)
  if (!block) return undefined
  const at = pos - index * B
  const view = new DataView(block.data.buffer, block.data.byteOffset, block.length)
  // The frame must end inside this block and inside the written file.
  const frame = frameAt(block.data, view, at, Math.min(block.length, lf.pos(fileEnd) - index * B), offset, lf.salt)
  if (frame !== undefined) lf.cache.get(index)
  return frame
}

async function readFrame(lf: LogFile, offset: number, fileEnd: number, epoch: number, last: boolean): Promise<Uint8Array | null | 'retry'> {
  const pos = lf.pos(offset)
  const limit = lf.pos(fileEnd)
  // An erase rewriting this frame while we read it can show a mix of old and new bytes: retry.
  const raced = () => !last && (epoch % 2 === 1 || lf.eraseEpoch !== epoch)
  // Most frames lie inside the (cached) page holding their start or spill into the next one;
  // larger ones are read whole.
  let span = await blockSpan(lf, pos, limit, epoch)
  if (span.end - span.at < FRAME_HEADER_BYTES) span = await directSpan(lf, pos, Math.min(FRAME_HEADER_BYTES, limit - pos))
  const word = span.end - span.at < FRAME_HEADER_BYTES ? -1 : checkHeader(span.view, span.at, offset, lf.salt, MAX_RECORD_BYTES)
  if (word < 0) {
    if (raced()) return 'retry'
    throw badOffset(offset, 'no valid frame header there')
  }
  const size = wordLength(word) + FRAME_OVERHEAD_BYTES
  if (pos + size > limit) throw badOffset(offset, 'frame would run past the end of the log')
  if (span.end - span.at < size) span = await spillSpan(lf, pos, size, limit, epoch)
  if (span.end - span.at < size) throw badOffset(offset, 'file ends early')
  if (wordErased(word)) {
    if (span.view.getUint32(span.at + size - 4, true) === word) return null
  } else {
    const payload = checkBody(span.bytes, span.view, span.at, word)
    if (payload) return payload
  }
  if (raced()) return 'retry'
  throw new LogError('LOG_CORRUPT', `record at offset ${offset} failed its checksum (damaged on disk)`, { offset })
}

/** File bytes in `bytes[at, end)`, starting at the requested position. */
interface Span {
  bytes: Uint8Array
  view: DataView
  at: number
  end: number
}

async function directSpan(lf: LogFile, pos: number, length: number): Promise<Span> {
  const bytes = allocBytes(length)
  const n = await lf.readAt(bytes, length, pos)
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, length), at: 0, end: n }
}

/** From `pos` to the end of its cache block (or of the written file). */
async function blockSpan(lf: LogFile, pos: number, limit: number, epoch: number): Promise<Span> {
  const B = CACHE_BLOCK_BYTES
  const index = Math.floor(pos / B)
  if (!lf.cache.enabled) return directSpan(lf, pos, Math.min(limit, (index + 1) * B) - pos)
  const block = await cachedBlock(lf, index, limit, epoch)
  return { bytes: block.data, view: new DataView(block.data.buffer, block.data.byteOffset, block.length), at: pos - index * B, end: block.length }
}

/** A frame running past its first block: joined from the two cached blocks, or read whole. */
async function spillSpan(lf: LogFile, pos: number, size: number, limit: number, epoch: number): Promise<Span> {
  const B = CACHE_BLOCK_BYTES
  const index = Math.floor(pos / B)
  if (!lf.cache.enabled || pos + size > (index + 2) * B) return directSpan(lf, pos, size)
  const first = await cachedBlock(lf, index, limit, epoch)
  const bytes = allocBytes(size)
  const head = first.data.subarray(pos - index * B, first.length)
  // Copied before the next await: once evicted, a block's memory is reused (see BlockCache).
  bytes.set(head, 0)
  const next = await cachedBlock(lf, index + 1, limit, epoch)
  const tail = next.data.subarray(0, Math.min(next.length, size - head.length))
  bytes.set(tail, head.length)
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, size), at: 0, end: head.length + tail.length }
}

/**
 * A cache block, read on a miss together with the block after it (one 8 KiB readv), since a
 * frame that does not fit its first block continues in the next. The caller uses the block
 * before its next await (see BlockCache on reuse).
 */
async function cachedBlock(lf: LogFile, index: number, limit: number, epoch: number): Promise<Block> {
  const B = CACHE_BLOCK_BYTES
  const want = Math.min(limit, (index + 1) * B) - index * B
  const hit = lf.cache.get(index)
  if (hit && hit.length >= want) return hit
  const span = Math.max(0, Math.min(limit - index * B, 2 * B))
  const data = lf.cache.buffer()
  const after = span > B ? lf.cache.buffer() : null
  const n = await lf.readvAt(after === null ? [data.subarray(0, span)] : [data, after.subarray(0, span - B)], index * B)
  const first: Block = { data, length: Math.min(n, B) }
  // Only cache what no erase can have overlapped: an erase in flight or finished since the
  // read began may have left a mix in the buffers.
  if (epoch % 2 === 0 && lf.eraseEpoch === epoch) {
    lf.cache.set(index, data, first.length)
    if (after !== null && n > B) lf.cache.set(index + 1, after, n - B)
  }
  return first
}

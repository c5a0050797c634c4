import fsp from 'node:fs/promises'
import { join } from 'node:path'
import type { Checkpoint } from './checkpoint.js'
import { FRAME_HEADER_BYTES, FRAME_OVERHEAD_BYTES, RECOVERED_PREFIX, STREAM_BLOCK_BYTES } from './constants.js'
import { crc32 } from './crc32.js'
import { LogError } from './errors.js'
import { allocBytes } from './file.js'
import { PAYLOAD_SEED, checkHeader, encodeFrame, wordErased, wordLength } from './frame.js'
import { ScanBuffer, scanForward } from './frame-scan.js'
import type { LogFile } from './log-file.js'

export interface RecoveryInfo {
  /**
   * 'damaged-tail': a frame failed its checks (torn write or damage) and the file was cut there.
   * 'missing-tail': the file is shorter than the checkpoint said was durable (cut by something else).
   */
  reason: 'damaged-tail' | 'missing-tail'
  /** The log now ends here; every byte from here on was dropped. */
  truncatedAt: number
  droppedBytes: number
  /**
   * Whole valid frames found after the damage. 0 is the signature of a torn write (crash while
   * appending). More suggests the disk damaged data that was once good: the dropped bytes are
   * then kept in `savedTo` for inspection.
   */
  validFramesAfter: number
  savedTo: string | null
  /** Whether a checkpoint let open skip the verified part (false = the whole log was scanned). */
  checkpointUsed: boolean
}

export interface ScanResult {
  end: number
  records: number
  erased: number
  recovery: RecoveryInfo | null
}

/** How far past a damaged frame we look for valid frames before deciding to keep the tail anyway. */
const RESYNC_WINDOW_BYTES = 16 * 1024 * 1024

/**
 * Verifies every frame from `from` to the physical end of the file and cuts the file at the first
 * one that fails (torn or damaged tail). Counts records and tombstones on the way.
 */
export async function verifyTail(
  dir: string,
  lf: LogFile,
  from: number,
  counts: { records: number; erased: number },
  maxRecordBytes: number,
  checkpointUsed: boolean,
): Promise<ScanResult> {
  const physicalEnd = lf.offsetAt(await lf.file.size())
  let records = counts.records
  let erased = counts.erased
  let bad: number | null = null
  let end = from
  const buffer = new ScanBuffer(STREAM_BLOCK_BYTES)
  scan: for await (const block of scanForward(lf, from, physicalEnd, maxRecordBytes, buffer, STREAM_BLOCK_BYTES)) {
    const { bytes, view } = block.buffer
    for (let i = 0; i < block.at.length; i++) {
      const at = block.at[i]!
      const word = block.words[i]!
      const start = at + FRAME_HEADER_BYTES
      const payloadCrc = crc32(bytes.subarray(start, start + wordLength(word)), PAYLOAD_SEED)
      if (payloadCrc !== view.getUint32(at + 4, true)) {
        bad = block.offsets[i]!
        break scan
      }
      records++
      if (wordErased(word)) erased++
      end = block.offsets[i]! + wordLength(word) + FRAME_OVERHEAD_BYTES
    }
    if (block.bad !== null) bad = block.bad
  }
  if (bad === null || end >= physicalEnd) return { end, records, erased, recovery: null }

  const validFramesAfter = await countValidFrames(lf, end, Math.min(physicalEnd, end + RESYNC_WINDOW_BYTES), maxRecordBytes)
  let savedTo: string | null = null
  if (validFramesAfter > 0 || physicalEnd - end > RESYNC_WINDOW_BYTES) {
    savedTo = join(dir, `${RECOVERED_PREFIX}g${lf.generation}-at${end}-${Date.now()}.bin`)
    await copyRange(lf, end, physicalEnd, savedTo)
  }
  await lf.file.truncate(lf.pos(end))
  await lf.file.datasync()
  return {
    end,
    records,
    erased,
    recovery: { reason: 'damaged-tail', truncatedAt: end, droppedBytes: physicalEnd - end, validFramesAfter, savedTo, checkpointUsed },
  }
}

/** Counts whole valid frames at any byte position in [from + 1, to): a resync scan. */
async function countValidFrames(lf: LogFile, from: number, to: number, maxRecordBytes: number): Promise<number> {
  const length = to - from
  if (length <= FRAME_OVERHEAD_BYTES) return 0
  const bytes = allocBytes(length)
  const n = await lf.file.read(bytes, 0, length, lf.pos(from))
  const view = new DataView(bytes.buffer, bytes.byteOffset, n)
  let found = 0
  for (let p = 1; p + FRAME_OVERHEAD_BYTES <= n; p++) {
    const word = view.getUint32(p, true)
    const size = wordLength(word) + FRAME_OVERHEAD_BYTES
    if (p + size > n || view.getUint32(p + size - 4, true) !== word) continue
    if (checkHeader(view, p, from + p, lf.salt, maxRecordBytes) < 0) continue
    const payload = bytes.subarray(p + FRAME_HEADER_BYTES, p + size - 4)
    if (crc32(payload, PAYLOAD_SEED) === view.getUint32(p + 4, true)) found++
  }
  return found
}

async function copyRange(lf: LogFile, from: number, to: number, path: string): Promise<void> {
  const out = await fsp.open(path, 'wx')
  try {
    const buf = allocBytes(STREAM_BLOCK_BYTES)
    for (let pos = from; pos < to; ) {
      const n = await lf.file.read(buf, 0, Math.min(buf.length, to - pos), lf.pos(pos))
      if (n === 0) break
      await out.write(buf, 0, n)
      pos += n
    }
    await out.sync()
  } finally {
    await out.close()
  }
}

/**
 * Finishes an erase the checkpoint announced: whatever state the frame is in (old record, torn
 * mix, tombstone), it is rewritten as a tombstone. The checkpoint already counts it as erased.
 */
export async function completePendingErase(lf: LogFile, pending: NonNullable<Checkpoint['pendingErase']>, fileEnd: number): Promise<boolean> {
  const size = pending.length + FRAME_OVERHEAD_BYTES
  if (pending.offset < lf.base || pending.offset + size > fileEnd) {
    throw new LogError('LOG_CORRUPT', `checkpoint names an erase at ${pending.offset} outside the log`, { offset: pending.offset })
  }
  const head = new Uint8Array(FRAME_HEADER_BYTES)
  await lf.file.read(head, 0, FRAME_HEADER_BYTES, lf.pos(pending.offset))
  const word = checkHeader(new DataView(head.buffer), 0, pending.offset, lf.salt, Number.MAX_SAFE_INTEGER)
  if (word >= 0 && wordErased(word) && wordLength(word) === pending.length) return false
  await writeTombstone(lf, pending.offset, pending.length)
  return true
}

/** Overwrites a frame with a tombstone of the same size (zeros, erased flag, fresh crcs) and fsyncs. */
export async function writeTombstone(lf: LogFile, offset: number, length: number): Promise<void> {
  const frame = new Uint8Array(length + FRAME_OVERHEAD_BYTES)
  encodeFrame(frame, new DataView(frame.buffer), 0, offset, lf.salt, new Uint8Array(length), true)
  await lf.file.write(frame, 0, frame.length, lf.pos(offset))
  await lf.file.datasync()
}


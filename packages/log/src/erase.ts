import { FRAME_HEADER_BYTES, FRAME_OVERHEAD_BYTES, MAX_RECORD_BYTES } from './constants.js'
import { LogError } from './errors.js'
import { allocBytes } from './file.js'
import { checkBody, checkHeader, wordErased, wordLength } from './frame.js'
import type { LogImpl } from './log.js'
import type { LogFile } from './log-file.js'
import { badOffset } from './read.js'
import { writeTombstone } from './recovery.js'

/**
 * Runs inside the io mutex. The checkpoint announces the erase (and already counts it) before
 * the frame is overwritten, so a crash mid-overwrite is finished by the next open instead of
 * leaving a half-zeroed frame that would read as corruption.
 */
export async function eraseRecord(log: LogImpl, lf: LogFile, offset: number): Promise<void> {
  if (log.current !== lf) throw new LogError('LOG_COMPACTED', `offset ${offset} is from before a compaction`, { offset })
  if (log.writer.failure) throw log.writer.failure
  const head = allocBytes(FRAME_HEADER_BYTES)
  try {
    await lf.file.read(head, 0, FRAME_HEADER_BYTES, lf.pos(offset))
  } catch (err) {
    throw log.readError(err, lf, offset)
  }
  const word = checkHeader(new DataView(head.buffer, head.byteOffset, FRAME_HEADER_BYTES), 0, offset, lf.salt, MAX_RECORD_BYTES)
  if (word < 0) throw badOffset(offset, 'no valid frame header there')
  if (wordErased(word)) return
  const length = wordLength(word)
  const size = length + FRAME_OVERHEAD_BYTES
  if (offset + size > log.writer.fileEnd) throw badOffset(offset, 'frame would run past the end of the log')
  const frame = allocBytes(size)
  try {
    await lf.file.read(frame, 0, size, lf.pos(offset))
  } catch (err) {
    throw log.readError(err, lf, offset)
  }
  if (!checkBody(frame, new DataView(frame.buffer, frame.byteOffset, size), 0, word)) {
    throw new LogError('LOG_CORRUPT', `record at offset ${offset} failed its checksum (damaged on disk)`, { offset })
  }
  try {
    if (log.sync === 'none') await lf.file.datasync()
    await log.writeCheckpoint({ offset, length }, { end: log.writer.fileEnd, records: log.writer.fileRecords, erased: log.erased + 1 })
    lf.eraseEpoch++
    try {
      await writeTombstone(lf, offset, length)
    } finally {
      lf.cache.invalidate(lf.pos(offset), lf.pos(offset) + size)
      lf.eraseEpoch++
    }
  } catch (err) {
    log.writer.fail(err)
    throw log.writer.failure
  }
  log.erased++
}

import fsp from 'node:fs/promises'
import { join } from 'node:path'
import { COMPACT_FILE, DATA_FILE, FILE_HEADER_BYTES, FRAME_HEADER_BYTES, MAX_RECORD_BYTES, STREAM_BLOCK_BYTES, WRITE_CHUNK_BYTES } from './constants.js'
import { crc32 } from './crc32.js'
import { LogError } from './errors.js'
import { DataFile, allocBytes, syncDir } from './file.js'
import { encodeFileHeader, newFileId } from './file-header.js'
import { PAYLOAD_SEED, encodeFrame, frameSize, wordErased, wordLength } from './frame.js'
import { ScanBuffer, scanForward } from './frame-scan.js'
import type { LogImpl } from './log.js'
import { LogFile } from './log-file.js'
import type { CompactOptions } from './types.js'

function aborted(signal: AbortSignal): LogError {
  return new LogError('LOG_ABORTED', 'compaction aborted; the log is unchanged', { cause: signal.reason })
}

// Copies the live records into log.data.compacting, fsyncs it, renames it over log.data and
// fsyncs the directory. A crash before the rename leaves the old log (open deletes the partial
// copy); after it, the new one. The generation lives in the data file header, so it switches
// atomically with the data.
export async function compactLog(log: LogImpl, { signal, onProgress }: CompactOptions): Promise<void> {
  log.assertOpen()
  if (signal?.aborted) throw aborted(signal)
  await log.writer.flushAll()
  await log.io.run(() => rewrite(log, signal, onProgress))
}

async function rewrite(log: LogImpl, signal: AbortSignal | undefined, onProgress: CompactOptions['onProgress']): Promise<void> {
  if (log.writer.failure) throw log.writer.failure
  const old = log.current
  const total = log.writer.fileRecords
  const tmpPath = join(log.dir, COMPACT_FILE)
  await fsp.rm(tmpPath, { force: true })
  const file = await DataFile.open(tmpPath, 'wx+')
  const header = { generation: old.generation + 1, baseOffset: old.base, fileId: newFileId() }
  const next = new LogFile(file, header, log.cacheBytes, old.reads)
  let swapped = false
  try {
    const head = encodeFileHeader(header)
    await file.write(head, 0, head.length, 0)
    let out = allocBytes(WRITE_CHUNK_BYTES)
    let outView = new DataView(out.buffer, out.byteOffset, out.byteLength)
    let used = 0
    let writePos = FILE_HEADER_BYTES
    let offset = old.base
    let records = 0
    let done = 0
    const flushOut = async () => {
      await file.write(out, 0, used, writePos)
      writePos += used
      used = 0
    }
    for await (const block of scanForward(old, old.base, log.writer.fileEnd, MAX_RECORD_BYTES, new ScanBuffer(STREAM_BLOCK_BYTES), STREAM_BLOCK_BYTES)) {
      if (signal?.aborted) throw aborted(signal)
      const { bytes, view } = block.buffer
      for (let i = 0; i < block.at.length; i++) {
        done++
        const word = block.words[i]!
        if (wordErased(word)) continue
        const start = block.at[i]! + FRAME_HEADER_BYTES
        const payload = bytes.subarray(start, start + wordLength(word))
        const payloadCrc = view.getUint32(block.at[i]! + 4, true)
        if (crc32(payload, PAYLOAD_SEED) !== payloadCrc) throw corrupt(block.offsets[i]!)
        const size = frameSize(payload.length)
        if (out.length - used < size) {
          await flushOut()
          if (out.length < size) {
            out = allocBytes(size)
            outView = new DataView(out.buffer, out.byteOffset, out.byteLength)
          }
        }
        used += encodeFrame(out, outView, used, offset, next.salt, payload, false, payloadCrc)
        offset += size
        records++
      }
      if (block.bad !== null) throw corrupt(block.bad)
      onProgress?.({ done, total })
    }
    if (used > 0) await flushOut()
    if (signal?.aborted) throw aborted(signal)
    await file.datasync()
    await fsp.rename(tmpPath, join(log.dir, DATA_FILE))
    // From here on the new file is the log, whatever happens next.
    swapped = true
    log.current = next
    log.erased = 0
    log.writer.reset(offset, records)
    log.resetCheckpointEnd()
    try {
      await syncDir(log.dir)
      await log.writeCheckpoint(null)
    } catch (err) {
      log.writer.fail(err)
    }
    onProgress?.({ done: total, total })
    await old.file.close()
  } catch (err) {
    if (!swapped) {
      await file.close().catch(() => undefined)
      await fsp.rm(tmpPath, { force: true })
    }
    throw err
  }
}

function corrupt(offset: number): LogError {
  return new LogError('LOG_CORRUPT', `record at offset ${offset} failed its checksum; compaction stopped, log unchanged`, { offset })
}

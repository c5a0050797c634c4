import { open } from 'node:fs/promises'
import { READ_BUFFER_BYTES, READ_CHUNK_BYTES } from './constants.js'
import { abortError, BlobsError } from './errors.js'

/**
 * Bytes [start, end) of a file in chunks of up to 64 KiB (READ_CHUNK_BYTES, what peers expect
 * per frame), each a view of its own read buffer that is never reused. The file is read
 * READ_BUFFER_BYTES at a time, and the next read runs while the consumer sends the current
 * one, so a transfer does not stop for a thread-pool round trip per chunk (at most two read
 * buffers are held per reader). The first read is one chunk: the first bytes go out while the
 * next block is read, instead of after a whole block has been read (and sent, then, in one go).
 */
export async function* readRange(
  path: string,
  start: number,
  end: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
  let fh
  try {
    fh = await open(path, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobsError('BLOB_NOT_FOUND', 'blob not found')
    throw new BlobsError('BLOB_IO', 'could not open blob', { cause: err })
  }
  const file = fh
  let pos = start
  const readNext = async (): Promise<Uint8Array | null> => {
    if (pos >= end) return null
    const want = Math.min(pos === start ? READ_CHUNK_BYTES : READ_BUFFER_BYTES, end - pos)
    const buf = Buffer.allocUnsafeSlow(want)
    let got = 0
    while (got < want) {
      const { bytesRead } = await file.read(buf, got, want - got, pos + got)
      if (bytesRead === 0) throw new BlobsError('BLOB_IO', 'blob file is shorter than expected')
      got += bytesRead
    }
    pos += want
    return new Uint8Array(buf.buffer, buf.byteOffset, want)
  }
  let ahead: Promise<Uint8Array | null> | null = null
  try {
    const readAhead = (): Promise<Uint8Array | null> => {
      const next = readNext()
      next.catch(() => {}) // surfaces when awaited; the consumer may be away meanwhile
      return next
    }
    ahead = readAhead()
    for (;;) {
      const block = await ahead
      ahead = null
      if (block === null) return
      if (signal?.aborted) throw abortError(signal)
      ahead = readAhead()
      for (let at = 0; at < block.length; at += READ_CHUNK_BYTES) {
        if (at > 0 && signal?.aborted) throw abortError(signal)
        yield block.subarray(at, Math.min(at + READ_CHUNK_BYTES, block.length))
      }
    }
  } finally {
    // A read still running must finish before the file is closed under it.
    if (ahead !== null) await ahead.catch(() => null)
    await file.close()
  }
}

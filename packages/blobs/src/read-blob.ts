import { open } from 'node:fs/promises'
import { READ_CHUNK_BYTES } from './constants.js'
import { abortError, BlobsError } from './errors.js'

/** Bytes [start, end) of a file in chunks of up to 64 KiB; each chunk is a fresh buffer. */
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
  try {
    let pos = start
    while (pos < end) {
      if (signal?.aborted) throw abortError(signal)
      const want = Math.min(READ_CHUNK_BYTES, end - pos)
      const buf = Buffer.allocUnsafeSlow(want)
      const { bytesRead } = await fh.read(buf, 0, want, pos)
      if (bytesRead === 0) throw new BlobsError('BLOB_IO', 'blob file is shorter than expected')
      pos += bytesRead
      yield new Uint8Array(buf.buffer, buf.byteOffset, bytesRead)
    }
  } finally {
    await fh.close()
  }
}

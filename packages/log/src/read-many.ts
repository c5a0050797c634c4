import { FRAME_OVERHEAD_BYTES, READ_MANY_CONCURRENCY, READ_MANY_GAP_BYTES, READ_MANY_SPAN_BYTES, READ_MANY_TAIL_BYTES } from './constants.js'
import type { ReadHost } from './core.js'
import { LogError } from './errors.js'
import type { ScanBuffer } from './frame-scan.js'
import { frameAt } from './frame.js'
import type { LogFile } from './log-file.js'
import { badOffset, getRecord } from './read.js'

/** Turns a record's payload into what readMany returns; the payload is only valid during the call. */
export type Decode<T> = (payload: Uint8Array, offset: number) => T

/**
 * The records at `offsets` (any order, repeats allowed), each passed to `decode` as it is read;
 * resolves with the results in the order of `offsets`, null for erased records. Records lying
 * close together are read in one sequential read (into a reused buffer, no copy per record);
 * the others, and any frame that does not check out in a span (an erase racing the read, a
 * frame longer than the span), go through get(), which reports bad offsets and damage.
 */
export async function readManyRecords<T>(host: ReadHost, offsets: readonly number[], decode: Decode<T>): Promise<Array<T | null>> {
  host.assertOpen()
  const lf = host.current
  const n = offsets.length
  const out = new Array<T | null>(n).fill(null)
  if (n === 0) return out
  let max = -Infinity
  let ascending = true
  for (let i = 0; i < n; i++) {
    const o = offsets[i]!
    if (!Number.isSafeInteger(o)) throw badOffset(o, 'not an integer')
    if (o < lf.base || o >= host.writer.ackedEnd) throw badOffset(o, `outside [${lf.base}, ${host.writer.ackedEnd})`)
    if (i > 0 && o < offsets[i - 1]!) ascending = false
    if (o > max) max = o
  }
  if (max + FRAME_OVERHEAD_BYTES > host.writer.fileEnd) await host.writer.flushAll()
  const order = Array.from({ length: n }, (_, i) => i)
  if (!ascending) order.sort((a, b) => offsets[a]! - offsets[b]!)

  const one = async (i: number): Promise<void> => {
    const b = await getRecord(host, offsets[i]!)
    out[i] = b === null ? null : decode(b, offsets[i]!)
  }
  const singles: number[] = []
  const buffer = lf.scratch.acquire()
  try {
    let i = 0
    while (i < n) {
      const first = offsets[order[i]!]!
      let j = i + 1
      while (j < n) {
        const o = offsets[order[j]!]!
        if (o - offsets[order[j - 1]!]! > READ_MANY_GAP_BYTES || o - first > READ_MANY_SPAN_BYTES) break
        j++
      }
      if (j - i === 1) singles.push(order[i]!)
      else {
        const misses = await readSpan(host, lf, buffer, offsets, order, i, j, decode, out)
        for (const k of misses) await one(k)
      }
      i = j
    }
  } finally {
    lf.scratch.release(buffer)
  }
  // Lone records: a few reads in flight, in offset order (neighbours then share cached blocks).
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < singles.length) await one(singles[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(READ_MANY_CONCURRENCY, singles.length) }, worker))
  return out
}

/**
 * Reads the records order[i..j) (ascending offsets, close together) with one read and decodes
 * those whose frames check out; returns the indexes of the others, for get() to sort out.
 */
async function readSpan<T>(
  host: ReadHost,
  lf: LogFile,
  buffer: ScanBuffer,
  offsets: readonly number[],
  order: number[],
  i: number,
  j: number,
  decode: Decode<T>,
  out: Array<T | null>,
): Promise<number[]> {
  const first = offsets[order[i]!]!
  const from = lf.pos(first)
  const end = Math.min(lf.pos(offsets[order[j - 1]!]!) + READ_MANY_TAIL_BYTES, lf.pos(host.writer.fileEnd))
  buffer.ensure(end - from)
  const epoch = lf.eraseEpoch
  let got: number
  try {
    const r = lf.readAt(buffer.bytes, end - from, from)
    got = typeof r === 'number' ? r : await r
  } catch (err) {
    throw host.readError(err, lf, first)
  }
  host.assertOpen()
  if (host.current !== lf) throw new LogError('LOG_COMPACTED', 'the log was compacted during this read; offsets changed')
  // A frame an erase was rewriting during the read may be a mix: get() reads it again.
  const settled = epoch % 2 === 0 && lf.eraseEpoch === epoch
  const { bytes, view } = buffer
  const misses: number[] = []
  for (let k = i; k < j; k++) {
    const idx = order[k]!
    const offset = offsets[idx]!
    const frame = settled ? frameAt(bytes, view, lf.pos(offset) - from, got, offset, lf.salt, null) : undefined
    if (frame === undefined) misses.push(idx)
    else if (frame !== null) out[idx] = decode(frame, offset)
  }
  return misses
}

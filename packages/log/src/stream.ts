import { FRAME_HEADER_BYTES, FRAME_OVERHEAD_BYTES, FRAME_RESERVED_MASK, MAX_RECORD_BYTES, STREAM_BLOCK_BYTES, STREAM_FIRST_BLOCK_BYTES } from './constants.js'
import type { ReadHost } from './core.js'
import { LogError } from './errors.js'
import { checkBody, checkHeader, wordErased, wordLength } from './frame.js'
import { scanForward } from './frame-scan.js'
import type { LogFile } from './log-file.js'
import { Slab } from './slab.js'
import { badOffset, prepareRead } from './read.js'

export interface StreamOptions {
  gt?: number
  gte?: number
  lt?: number
  reverse?: boolean
  live?: boolean
  signal?: AbortSignal
  /**
   * Yield each value as a view into the stream's read buffer instead of a copy: valid only until
   * the next entry is asked for. For callers that decode every record at once (no allocation or
   * copy per record).
   */
  borrow?: boolean
}

export interface LogEntry {
  offset: number
  value: Uint8Array
}

function corrupt(offset: number): LogError {
  return new LogError('LOG_CORRUPT', `record at offset ${offset} failed its checks (damaged on disk)`, { offset })
}

function checkBound(name: string, v: number | undefined): void {
  if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v))) {
    throw new LogError('LOG_INVALID_ARGUMENT', `stream option ${name} must be a number`)
  }
}

/** Size of the frame that starts at `offset` (which must be a record boundary). */
async function frameSizeAt(host: ReadHost, offset: number): Promise<number> {
  const lf = await prepareRead(host, offset)
  const head = new Uint8Array(FRAME_HEADER_BYTES)
  try {
    await lf.file.read(head, 0, FRAME_HEADER_BYTES, lf.pos(offset))
  } catch (err) {
    throw host.readError(err, lf, offset)
  }
  const word = checkHeader(new DataView(head.buffer), 0, offset, lf.salt, MAX_RECORD_BYTES)
  if (word < 0) throw badOffset(offset, 'not a record boundary')
  return wordLength(word) + FRAME_OVERHEAD_BYTES
}

interface Range {
  lf: LogFile
  /** Records with min <= offset < max are wanted. */
  min: number
  max: number
}

/** Checks the options (inside the generators, so errors surface on iteration) and resolves the range. */
function range(host: ReadHost, opts: StreamOptions): Range {
  const { gt, gte, lt } = opts
  checkBound('gt', gt)
  checkBound('gte', gte)
  checkBound('lt', lt)
  if (opts.reverse && opts.live) throw new LogError('LOG_INVALID_ARGUMENT', 'a stream cannot be both reverse and live')
  host.assertOpen()
  const lf = host.current
  const min = Math.max(gte ?? -Infinity, gt === undefined ? -Infinity : gt + 1, lf.base)
  return { lf, min, max: lt ?? Infinity }
}

export function streamRecords(host: ReadHost, opts: StreamOptions = {}): AsyncGenerator<LogEntry, void, undefined> {
  return opts.reverse ? reverseStream(host, opts) : forwardStream(host, opts)
}

async function* forwardStream(host: ReadHost, opts: StreamOptions): AsyncGenerator<LogEntry> {
  const { lf, min, max: upper } = range(host, opts)
  const { gt, live = false, signal, borrow = false } = opts
  if (signal?.aborted) return
  // Start at a frame boundary; a `gt`/`gte` inside the log must name a record.
  const end = host.writer.ackedEnd
  // A non-live stream is a snapshot: records appended after it started are not included.
  const max = live ? upper : Math.min(upper, end)
  let pos: number
  if (min <= lf.base) pos = lf.base
  else if (min >= end) pos = end
  else if (gt !== undefined && gt + 1 === min) pos = gt + (await frameSizeAt(host, gt))
  else {
    await frameSizeAt(host, min)
    pos = min
  }
  let aborted = signal?.aborted ?? false
  const onAbort = () => {
    aborted = true
    wake?.()
  }
  let wake: (() => void) | null = null
  signal?.addEventListener('abort', onAbort, { once: true })
  const buffer = lf.scratch.acquire()
  const slab = borrow ? null : new Slab()
  try {
    for (;;) {
      if (aborted) return
      host.assertOpen()
      if (host.current !== lf) throw compacted()
      const limit = host.writer.ackedEnd
      if (pos >= max) return
      if (pos >= limit) {
        if (!live) return
        const changed = host.changed()
        await new Promise<void>((resolve) => {
          wake = resolve
          void changed.then(resolve)
        })
        wake = null
        continue
      }
      if (limit > host.writer.fileEnd) await host.writer.flushAll()
      const epoch = lf.eraseEpoch
      try {
        for await (const block of scanForward(lf, pos, limit, MAX_RECORD_BYTES, buffer)) {
          const { bytes, view, buf } = block.buffer
          const copy = slab === null ? null : { slab, source: buf }
          const out: LogEntry[] = []
          let done = false
          let bad = block.bad
          for (let i = 0; i < block.at.length; i++) {
            const offset = block.offsets[i]!
            if (offset >= max) {
              done = true
              break
            }
            const word = block.words[i]!
            if (wordErased(word) || offset < min) continue
            const value = checkBody(bytes, view, block.at[i]!, word, copy)
            if (!value) {
              bad = offset
              break
            }
            out.push({ offset, value })
          }
          // Records before a bad one are good: serve them, then stop at the bad one.
          for (const entry of out) {
            if (aborted) return
            yield entry
          }
          if (done) return
          if (bad !== null) {
            // Damage, unless an erase rewrote this frame under our read: then read it again.
            if (lf.eraseEpoch === epoch && epoch % 2 === 0) throw corrupt(bad)
            pos = bad
            break
          }
          pos = block.next
          if (pos >= max) return
        }
      } catch (err) {
        if (err instanceof LogError) throw err
        throw host.readError(err, lf, pos)
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort)
    lf.scratch.release(buffer)
  }
}

function compacted(): LogError {
  return new LogError('LOG_COMPACTED', 'the log was compacted while this stream was open; offsets changed')
}

async function* reverseStream(host: ReadHost, opts: StreamOptions): AsyncGenerator<LogEntry> {
  const { lf, min, max } = range(host, opts)
  const { signal, borrow = false } = opts
  if (signal?.aborted) return
  let pos = host.writer.ackedEnd
  if (max < pos) {
    if (max <= lf.base) return
    await frameSizeAt(host, max) // `lt` inside the log must be a record boundary
    pos = max
  }
  if (pos > host.writer.fileEnd) await host.writer.flushAll()
  const buffer = lf.scratch.acquire()
  const slab = borrow ? null : new Slab()
  let blockBytes = STREAM_FIRST_BLOCK_BYTES
  try {
    while (pos > lf.base && pos > min) {
      if (signal?.aborted) return
      host.assertOpen()
      if (host.current !== lf) throw compacted()
      const from = Math.max(lf.base, pos - blockBytes)
      const length = pos - from
      buffer.ensure(length)
      const epoch = lf.eraseEpoch
      try {
        const read = lf.readAt(buffer.bytes, length, lf.pos(from))
        if (typeof read !== 'number') await read
      } catch (err) {
        throw host.readError(err, lf, pos)
      }
      const { bytes, view, buf } = buffer
      const copy = slab === null ? null : { slab, source: buf }
      const out: LogEntry[] = []
      let p = pos
      let needed = 0
      let bad: number | null = null
      while (p > from && p > min) {
        if (p - from < FRAME_OVERHEAD_BYTES) {
          if (from === lf.base) {
            bad = p
            break
          }
          needed = FRAME_OVERHEAD_BYTES
          break
        }
        const word = view.getUint32(p - 4 - from, true)
        const size = wordLength(word) + FRAME_OVERHEAD_BYTES
        const start = p - size
        const plausible = (word & FRAME_RESERVED_MASK) === 0 && wordLength(word) <= MAX_RECORD_BYTES
        if (start < from && start >= lf.base && plausible) {
          needed = size
          break
        }
        if (start < from || checkHeader(view, start - from, start, lf.salt, MAX_RECORD_BYTES) !== word) {
          bad = p
          break
        }
        if (!wordErased(word) && start >= min) {
          const value = checkBody(bytes, view, start - from, word, copy)
          if (!value) {
            bad = start
            break
          }
          out.push({ offset: start, value })
        }
        p = start
      }
      for (const entry of out) {
        if (signal?.aborted) return
        yield entry
      }
      pos = p
      if (bad !== null) {
        if (lf.eraseEpoch === epoch && epoch % 2 === 0) throw corrupt(bad)
        continue
      }
      blockBytes = Math.max(needed, Math.min(STREAM_BLOCK_BYTES, blockBytes * 2))
    }
  } finally {
    lf.scratch.release(buffer)
  }
}

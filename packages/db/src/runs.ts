import { decOffset, encOffset, keyOfSeq, keyOfType, prefixEnd, seqPrefix, typePrefix } from './index-keys.js'
import { type ReadCtx, scan } from './read.js'

/**
 * Sequence and type entries are packed: one LevelDB entry per run instead of one per message.
 *   s{author}{first seq}     → offsets of consecutive sequences first, first+1, …
 *   t{type}\0{first offset}  → increasing offsets of messages of that type
 * Runs are built per index batch (a rebuild batch holds thousands of messages, so this divides
 * those puts by the run length); runs never overlap. Offsets are fixed-width base 36.
 */
const W = 11

export function encodeRun(offsets: readonly number[]): string {
  let s = ''
  for (let i = 0; i < offsets.length; i++) s += encOffset(offsets[i]!)
  return s
}

export function decodeRun(value: string): number[] {
  const out = new Array<number>(value.length / W)
  for (let i = 0; i < out.length; i++) out[i] = decOffset(value.slice(i * W, i * W + W))
  return out
}

/** Collects one batch's runs; `put` receives the finished entries. */
export class RunBuilder {
  private readonly seqRuns = new Map<string, { first: number; offsets: number[] }>()
  private readonly typeRuns = new Map<string, number[]>()

  constructor(private readonly put: (key: string, value: string) => void) {}

  add(author: string, sequence: number, type: string | null, offset: number): void {
    const run = this.seqRuns.get(author)
    if (run !== undefined && run.first + run.offsets.length === sequence) run.offsets.push(offset)
    else {
      if (run !== undefined) this.put(keyOfSeq(author, run.first), encodeRun(run.offsets))
      this.seqRuns.set(author, { first: sequence, offsets: [offset] })
    }
    if (type !== null) {
      const t = this.typeRuns.get(type)
      if (t === undefined) this.typeRuns.set(type, [offset])
      else t.push(offset)
    }
  }

  finish(): void {
    for (const [author, run] of this.seqRuns) this.put(keyOfSeq(author, run.first), encodeRun(run.offsets))
    for (const [type, offsets] of this.typeRuns) this.put(keyOfType(type, offsets[0]!), encodeRun(offsets))
  }
}

/** The run that starts at or before `key` within `prefix`, if any. */
async function runAtOrBefore(ctx: ReadCtx, prefix: string, key: string): Promise<[string, string] | undefined> {
  for await (const entries of scan(ctx, { gte: prefix, lte: key, reverse: true, limit: 1 }, true)) return entries[0]
  return undefined
}

/**
 * Offsets of `feed`'s sequences lo..hi in (reverse) sequence order, in chunks. Erased messages
 * may still be listed (their log records read as null).
 */
export async function* seqOffsets(ctx: ReadCtx, feed: string, lo: number, hi: number, reverse: boolean): AsyncGenerator<number[]> {
  if (lo > hi) return
  const prefix = seqPrefix(feed)
  const clip = (first: number, offsets: number[]): number[] => {
    const a = Math.max(lo - first, 0)
    const b = Math.min(hi - first + 1, offsets.length)
    const out = a >= b ? [] : offsets.slice(a, b)
    return reverse ? out.reverse() : out
  }
  const firstOf = (k: string): number => decOffset(k.slice(prefix.length))
  if (reverse) {
    for await (const entries of scan(ctx, { gte: prefix, lte: keyOfSeq(feed, hi), reverse: true }, true)) {
      for (const [k, v] of entries) {
        const first = firstOf(k)
        const offsets = decodeRun(v)
        if (first + offsets.length - 1 < lo) return
        yield clip(first, offsets)
      }
    }
    return
  }
  const before = await runAtOrBefore(ctx, prefix, keyOfSeq(feed, lo))
  if (before !== undefined) yield clip(firstOf(before[0]), decodeRun(before[1]))
  for await (const entries of scan(ctx, { gt: keyOfSeq(feed, lo), lte: keyOfSeq(feed, hi) }, true)) {
    for (const [k, v] of entries) yield clip(firstOf(k), decodeRun(v))
  }
}

/** Offsets of messages of `type` in [start, end) in (reverse) log order, in chunks. */
export async function* typeOffsets(ctx: ReadCtx, type: string, start: number, end: number, reverse: boolean): AsyncGenerator<number[]> {
  const prefix = typePrefix(type)
  const clip = (offsets: number[]): number[] => {
    const out = offsets.filter((o) => o >= start && o < end)
    return reverse ? out.reverse() : out
  }
  const upper = end === Infinity ? prefixEnd(prefix) : keyOfType(type, end)
  if (reverse) {
    for await (const entries of scan(ctx, { gte: prefix, lt: upper, reverse: true }, true)) {
      for (const [, v] of entries) {
        const offsets = decodeRun(v)
        if (offsets[offsets.length - 1]! < start) return
        yield clip(offsets)
      }
    }
    return
  }
  if (start > 0) {
    const before = await runAtOrBefore(ctx, prefix, keyOfType(type, start))
    if (before !== undefined) yield clip(decodeRun(before[1]))
  }
  const lower = start > 0 ? { gt: keyOfType(type, start) } : { gte: prefix }
  for await (const entries of scan(ctx, { ...lower, lt: upper }, true)) {
    for (const [, v] of entries) yield clip(decodeRun(v))
  }
}

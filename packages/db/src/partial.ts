import type { KVT } from '@ssb/feed'
import { DbError } from './errors.js'
import { type FieldTree, Projection, fieldTree } from './project.js'
import { type RawJson, decodeRecord, plainClaimedTime, rawWithRts, rtsOf } from './record.js'
import type { Prefilter } from './types.js'

/** A record read in part (project.ts): its wanted fields, `rts` added when asked for. */
export class Fields {
  constructor(readonly fields: Record<string, unknown>) {}
}

/** A record the prefilter left out. */
export const SKIP: unique symbol = Symbol('skip')

type Paths = ReadonlyArray<readonly string[]>

export function checkPaths(paths: unknown, what: string): Paths {
  if (!Array.isArray(paths) || !paths.every((p) => Array.isArray(p) && p.every((k) => typeof k === 'string'))) {
    throw new DbError('DB_INVALID_ARGUMENT', `${what} must be an array of paths (arrays of strings)`)
  }
  return paths as Paths
}

export function checkPrefilter(where: unknown): Prefilter | undefined {
  if (where === undefined) return undefined
  if (typeof where !== 'object' || where === null || typeof (where as Prefilter).test !== 'function') {
    throw new DbError('DB_INVALID_ARGUMENT', 'where must be {fields, test}')
  }
  checkPaths((where as Prefilter).fields, 'where.fields')
  return where as Prefilter
}

/** Whether the prefilter keeps an item (no prefilter keeps everything). */
export function passes(where: Prefilter | undefined, item: unknown): boolean {
  return where === undefined || where.test(item as Record<string, unknown>)
}

/**
 * The stored paths that serve `paths`. `rts` is not stored but derived from both timestamps
 * (the claimed time unless missing or after the receive time): with `derive`, a path into `rts`
 * becomes those two (`derived: true` then says to add `rts` to what is read).
 */
function storedPaths(paths: Paths, derive: boolean): { paths: Paths; derived: boolean } {
  if (!derive || !paths.some((p) => p[0] === 'rts')) return { paths, derived: false }
  return { paths: [...paths.filter((p) => p[0] !== 'rts'), ['timestamp'], ['value', 'timestamp']], derived: true }
}

/**
 * Decodes records for a read that needs only `out` of each item (null: whole items) and tests
 * `where` first; `extra` are fields the reader itself checks; `rts`: items carry the derived
 * `rts` (readIndex). Returns Fields (the record read in part, when `out` is given and the record
 * could be read so), a whole message (test it with `where` yourself: only records read in part
 * have been tested), or SKIP. Null when there is nothing to gain.
 */
export function recordReader(
  out: Paths | null,
  where: Prefilter | undefined,
  extra: Paths,
  rts: boolean,
): ((b: Uint8Array) => KVT | Fields | typeof SKIP) | null {
  if (out === null && where === undefined) return null
  const { paths, derived: derive } = storedPaths([...(out ?? []), ...(where?.fields ?? []), ...extra], rts)
  const tree = fieldTree(paths)
  if (tree === null) return null
  const projection = new Projection(tree)
  const withValue = tree.value !== undefined
  return (b) => {
    const f = projection.read(b)
    // A record without an object `value` is damaged: the full decode reports it.
    if (f === null || (withValue && (typeof f.value !== 'object' || f.value === null))) return decodeRecord(b)
    if (derive) f.rts = rtsOf(f as unknown as KVT)
    if (!passes(where, f)) return SKIP
    return out !== null ? new Fields(f) : decodeRecord(b)
  }
}

const obj = (): FieldTree => Object.create(null) as FieldTree

/**
 * Decodes records for a read whose items go out whole as JSON (readIndex `raw`): records that
 * pass `where` and whose content is an object come as RawJson — the stored bytes plus `rts`,
 * never parsed; the others (boxed content, which may need decrypting) come decoded.
 */
export function rawReader(where: Prefilter | undefined): (b: Uint8Array) => KVT | RawJson | typeof SKIP {
  const { paths, derived: derive } = storedPaths(where?.fields ?? [], true)
  const tree = fieldTree([...paths, ['value', 'timestamp']]) ?? obj()
  // content must be an object (a boxed one may need decrypting); nothing inside it is read
  const value = tree.value
  if (value !== undefined && value !== true) value.content ??= obj()
  const projection = new Projection(tree)
  return (b) => {
    if (where === undefined) {
      // Most records: the claimed time at its fixed place, nothing scanned.
      const claimed = plainClaimedTime(b)
      const raw = claimed === undefined ? null : rawWithRts(b, claimed)
      if (raw !== null) return raw
    }
    const f = projection.read(b)
    const v = f?.value as Record<string, unknown> | undefined
    if (f === null || typeof v !== 'object' || v === null || typeof v.content !== 'object' || v.content === null) return decodeRecord(b)
    if (derive) f.rts = rtsOf(f as unknown as KVT)
    if (!passes(where, f)) return SKIP
    return rawWithRts(b, v.timestamp) ?? decodeRecord(b)
  }
}

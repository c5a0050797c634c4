import type { KVT } from '@ssb/feed'
import { DbError } from './errors.js'
import { type FieldTree, Projection, fieldTree } from './project.js'
import { type RawJson, decodeRecord, rawWithRts, rtsOf } from './record.js'
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

/** `rts` is not stored: it is the claimed time unless that is missing or after the receive time. */
const RTS_SOURCES: Paths = [['timestamp'], ['value', 'timestamp']]
const wantsRts = (paths: Paths): boolean => paths.some((p) => p[0] === 'rts')

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
  let paths: Paths = [...(out ?? []), ...(where?.fields ?? []), ...extra]
  const derive = rts && wantsRts(paths)
  if (derive) paths = [...paths.filter((p) => p[0] !== 'rts'), ...RTS_SOURCES]
  const tree = fieldTree(paths)
  if (tree === null) return null
  const projection = new Projection(tree)
  const withValue = tree.value !== undefined
  return (b) => {
    const f = projection.read(b)
    // A record without an object `value` is damaged: the full decode reports it.
    if (f === null || (withValue && (typeof f.value !== 'object' || f.value === null))) return decodeRecord(b)
    if (derive) f.rts = rtsOf(f as unknown as KVT)
    if (where !== undefined && !where.test(f)) return SKIP
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
  const derive = where !== undefined && wantsRts(where.fields)
  const paths: Paths = [...(where?.fields ?? []).filter((p) => !derive || p[0] !== 'rts'), ['value', 'timestamp'], ...(derive ? RTS_SOURCES : [])]
  const tree = fieldTree(paths) ?? obj()
  // content must be an object (a boxed one may need decrypting); nothing inside it is read
  const value = tree.value
  if (value !== undefined && value !== true) value.content ??= obj()
  const projection = new Projection(tree)
  return (b) => {
    const f = projection.read(b)
    const v = f?.value as Record<string, unknown> | undefined
    if (f === null || typeof v !== 'object' || v === null || typeof v.content !== 'object' || v.content === null) return decodeRecord(b)
    if (where !== undefined) {
      if (derive) f.rts = rtsOf(f as unknown as KVT)
      if (!where.test(f)) return SKIP
    }
    return rawWithRts(b, v.timestamp) ?? decodeRecord(b)
  }
}

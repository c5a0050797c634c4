// A port of deep-extend 0.6.0, the merge used by rc and ssb-config. Objects merge key by key,
// arrays are replaced by a deep clone (never merged), other values overwrite. Inputs are
// JSON-like (parsed files, env strings, argv), so deep-extend's Buffer/Date/RegExp cases
// do not arise. Unlike deep-extend, nothing passed in is mutated: `target` is cloned first.

export type PlainObject = Record<string, unknown>

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function cloneArray(arr: readonly unknown[]): unknown[] {
  return arr.map((item) => {
    if (Array.isArray(item)) return cloneArray(item)
    if (isPlainObject(item)) return extendInto({}, item)
    return item
  })
}

function extendInto(target: PlainObject, source: PlainObject): PlainObject {
  for (const key of Object.keys(source)) {
    if (key === '__proto__') continue
    const val = source[key]
    const src = Object.hasOwn(target, key) ? target[key] : undefined
    if (Array.isArray(val)) target[key] = cloneArray(val)
    else if (!isPlainObject(val)) target[key] = val
    else if (!isPlainObject(src)) target[key] = extendInto({}, val)
    else target[key] = extendInto(src, val)
  }
  return target
}

/** `deepExtend({}, ...sources)`: skips sources that are not plain objects, as deep-extend does. */
export function deepMerge(...sources: unknown[]): PlainObject {
  const out: PlainObject = {}
  for (const source of sources) {
    if (isPlainObject(source)) extendInto(out, source)
  }
  return out
}

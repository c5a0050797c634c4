import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { type FieldTree, Projection, fieldTree } from '../src/project.js'

const projectRecord = (bytes: Uint8Array, tree: FieldTree) => new Projection(tree).read(bytes)

type Obj = Record<string, unknown>
const isPlain = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** What projectRecord must give: the wanted members of the parsed record, or null (give up). */
function pick(o: Obj, tree: FieldTree): Obj | null {
  const out: Obj = {}
  const set = (k: string, v: unknown) => Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true })
  for (const k of Object.keys(tree)) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue
    const sub = tree[k]!
    const v = o[k]
    if (sub === true || !isPlain(v)) {
      if (sub !== true && typeof v === 'string') return null
      set(k, v)
    } else {
      const inner = pick(v, sub)
      if (inner === null) return null
      set(k, inner)
    }
  }
  return out
}

const bytes = (o: unknown): Buffer => Buffer.from(JSON.stringify(o), 'utf8')
const KEYS = ['a', 'b', 'c', 'k\u00e9y', 'with "quote"', 'back\\slash', '', 'value', '__proto__']

/** Paths mostly into the object's own structure, some going nowhere. */
function pathsArb(o: Obj): fc.Arbitrary<string[][]> {
  const own: string[][] = []
  const walk = (v: unknown, p: string[]): void => {
    if (p.length > 0) own.push(p)
    if (isPlain(v)) for (const k of Object.keys(v)) walk(v[k], [...p, k])
  }
  walk(o, [])
  const path = fc.oneof(
    own.length > 0 ? fc.constantFrom(...own) : fc.constant<string[]>(['a']),
    fc.array(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 3 }),
  )
  return fc.array(path, { minLength: 1, maxLength: 4 })
}

const record = fc.dictionary(fc.constantFrom(...KEYS), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })

describe('projectRecord', () => {
  test('equals picking the wanted paths from JSON.parse (random JSON, random paths)', () => {
    fc.assert(
      fc.property(record.chain((o) => fc.tuple(fc.constant(o), pathsArb(o))), ([o, paths]) => {
        const parsed = JSON.parse(JSON.stringify(o)) as Obj
        const tree = fieldTree(paths)!
        expect(projectRecord(bytes(o), tree)).toEqual(pick(parsed, tree))
      }),
      { numRuns: 3000 },
    )
  })

  test('stops reading once everything wanted is found', () => {
    // The tail is not even JSON: reading stops at `value.author`.
    const b = Buffer.from('{"key":"%x","value":{"previous":null,"author":"@a","content":{oops', 'utf8')
    expect(projectRecord(b, fieldTree([['value', 'author'], ['key']])!)).toEqual({ key: '%x', value: { author: '@a' } })
  })

  test('gives up on boxed content on the way, on damage, and on trailing bytes', () => {
    const boxed = bytes({ key: '%x', value: { author: '@a', content: 'c2VjcmV0.box' }, timestamp: 1 })
    expect(projectRecord(boxed, fieldTree([['value', 'content', 'type']])!)).toBeNull()
    expect(projectRecord(boxed, fieldTree([['value', 'content']])!)).toEqual({ value: { content: 'c2VjcmV0.box' } })
    const tree = fieldTree([['timestamp']])!
    for (const bad of ['{"key":"%x","value":{"a":1}', '{"key":"%x,"timestamp":1}', '{"key":"%x"}x', '{"a":1,"timestamp":', '[1]', '']) {
      expect(projectRecord(Buffer.from(bad), tree)).toBeNull()
    }
  })

  test('__proto__ in a record is an own property, as JSON.parse makes it', () => {
    const b = Buffer.from('{"key":"%x","value":{"content":{"__proto__":{"polluted":1},"type":"t"}}}')
    const got = projectRecord(b, fieldTree([['value', 'content', '__proto__'], ['value', 'content', 'type']])!)!
    const content = (got.value as Record<string, Record<string, unknown>>).content!
    expect(Object.getPrototypeOf(content)).toBe(Object.prototype)
    expect(Object.prototype.hasOwnProperty.call(content, '__proto__')).toBe(true)
    expect(content).toEqual(JSON.parse(b.toString()).value.content)
  })

  test('a path that is a prefix of another reads the whole value', () => {
    expect(fieldTree([['value', 'content', 'type'], ['value', 'content']])).toEqual({ value: { content: true } })
    expect(fieldTree([['value'], ['value', 'author']])).toEqual({ value: true })
    expect(fieldTree([[]])).toBeNull()
  })
})

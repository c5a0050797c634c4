import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { type FieldTree, Projection, fieldTree } from '../src/project.js'
import { encodeRecord, plainClaimedTime, receiveTimeOf } from '../src/record.js'

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

describe('fixed-position reads of a stored record (record.ts)', () => {
  const id = (c: string, suffix: string) => c + Buffer.alloc(33, c.charCodeAt(0)).toString('base64') + suffix
  const msgId = id('%', '.sha256')
  const feedId = id('@', '.ed25519')
  const timestamp = fc.oneof(fc.integer({ min: 0, max: 2 ** 53 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(1e21, 1.5e-7, -0, 1600000000000.5))
  const content = fc.oneof(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 }), fc.string(), fc.constant(null), fc.array(fc.integer()))
  // Records as encodeRecord writes them, valid messages or not, some with the value keys shuffled.
  const record = fc.record({
    previous: fc.constantFrom(null, msgId, 'x'),
    author: fc.constantFrom(feedId, '@short.ed25519'),
    sequence: fc.oneof(fc.nat(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    timestamp,
    content,
    rts: timestamp,
    shuffle: fc.boolean(),
    sequenceFirst: fc.boolean(),
    extra: fc.option(fc.string(), { nil: undefined }),
  })
  const encode = (r: Record<string, unknown>) => {
    const x = r as unknown as { previous: unknown; author: unknown; sequence: unknown; timestamp: unknown; content: unknown; rts: number; shuffle: boolean; sequenceFirst?: boolean; extra?: string }
    const entries: Array<[string, unknown]> = [['previous', x.previous], ['author', x.author], ['sequence', x.sequence], ['timestamp', x.timestamp], ['hash', 'sha256'], ['content', x.content], ['signature', 'sig.sig.ed25519']]
    if (x.sequenceFirst) entries.splice(1, 2, entries[2]!, entries[1]!)
    if (x.shuffle) entries.reverse()
    if (x.extra !== undefined) entries.splice(3, 0, ['extra', x.extra])
    return { kvt: { key: msgId, value: Object.fromEntries(entries), timestamp: x.rts }, bytes: encodeRecord({ key: msgId, value: Object.fromEntries(entries), timestamp: x.rts } as never) }
  }

  test('plainClaimedTime is value.timestamp for plain records with object content, else undefined; never another number', () => {
    fc.assert(
      fc.property(record, (r) => {
        const { kvt, bytes } = encode(r)
        const got = plainClaimedTime(bytes)
        const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as { value: { timestamp: unknown; content: unknown } }
        if (got === undefined) return true
        return Object.is(got, parsed.value.timestamp) && typeof parsed.value.content === 'object' && parsed.value.content !== null && kvt.value !== undefined
      }),
      { numRuns: 3000 },
    )
    // and it does read the common case
    const { bytes } = encode({ previous: msgId, author: feedId, sequence: 7, timestamp: 1600000000123, content: { type: 'post' }, rts: 1, shuffle: false })
    expect(plainClaimedTime(bytes)).toBe(1600000000123)
    // ssb-validate writes sequence before author
    expect(plainClaimedTime(encode({ previous: msgId, author: feedId, sequence: 7, timestamp: 1600000000124, content: { type: 'post' }, rts: 1, shuffle: false, sequenceFirst: true }).bytes)).toBe(1600000000124)
    expect(plainClaimedTime(encode({ previous: null, author: feedId, sequence: 1, timestamp: 5.5, content: {}, rts: 1, shuffle: false }).bytes)).toBe(5.5)
    expect(plainClaimedTime(encode({ previous: null, author: feedId, sequence: 1, timestamp: 5, content: 'boxed.box', rts: 1, shuffle: false }).bytes)).toBeUndefined()
  })

  test('receiveTimeOf is the record timestamp', () => {
    fc.assert(
      fc.property(record, (r) => {
        const { kvt, bytes } = encode(r)
        return Object.is(receiveTimeOf(bytes), kvt.timestamp === 0 ? 0 : kvt.timestamp) || (receiveTimeOf(bytes) === 0 && Object.is(kvt.timestamp, -0))
      }),
      { numRuns: 3000 },
    )
    expect(receiveTimeOf(Buffer.from('{"key":"x","timestamp":12}'))).toBe(12)
    expect(receiveTimeOf(Buffer.from('{"key":"x","timestamp":"12"}'))).toBeNull()
    expect(receiveTimeOf(Buffer.from('{"key":"x"}'))).toBeNull()
  })
})

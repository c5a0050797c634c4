import { describe, expect, test } from 'vitest'
import { MAX_QUERY_DEPTH, QueryError, applyQuery, compare } from '../src/index.js'

const msgs = [
  { key: '%a', value: { author: '@x', sequence: 1, content: { type: 'post', text: 'hello', tags: ['a', 'b'] } } },
  { key: '%b', value: { author: '@y', sequence: 1, content: { type: 'vote', vote: { value: 1 } } } },
  { key: '%c', value: { author: '@x', sequence: 2, content: { type: 'post', text: 'help', root: '%a' } } },
  { key: '%d', value: { author: '@z', sequence: 1, content: { type: 'pub', n: 5 } } },
]

const keys = (items: unknown[]): unknown[] => items.map((m) => (m as { key: string }).key)

async function expectError(query: unknown, code: string): Promise<void> {
  const err = await applyQuery(query, msgs).then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(QueryError)
  expect((err as QueryError).code).toBe(code)
}

describe('$filter', () => {
  test('nested objects match field by field; extra fields are fine', async () => {
    expect(keys(await applyQuery([{ $filter: { value: { content: { type: 'post' } } } }], msgs))).toEqual(['%a', '%c'])
    expect(keys(await applyQuery([{ $filter: { value: { author: '@x', sequence: 2 } } }], msgs))).toEqual(['%c'])
  })
  test('arrays match position by position', async () => {
    expect(keys(await applyQuery([{ $filter: { value: { content: { tags: ['a'] } } } }], msgs))).toEqual(['%a'])
    expect(keys(await applyQuery([{ $filter: { value: { content: { tags: ['b'] } } } }], msgs))).toEqual([])
  })
  test('operators', async () => {
    const q = (f: unknown) => applyQuery([{ $filter: { value: { content: f } } }], msgs).then(keys)
    expect(await q({ text: { $prefix: 'hel' } })).toEqual(['%a', '%c'])
    expect(await q({ text: { $prefix: 'hell' } })).toEqual(['%a'])
    expect(await q({ tags: { $prefix: ['a'] } })).toEqual(['%a'])
    expect(await q({ n: { $gt: 4, $lt: 6 } })).toEqual(['%d'])
    expect(await q({ n: { $gte: 5, $lte: 5 } })).toEqual(['%d'])
    expect(await q({ type: { $in: ['vote', 'pub'] } })).toEqual(['%b', '%d'])
    expect(await q({ root: { $is: 'string' } })).toEqual(['%c'])
    expect(await q({ type: { $ne: 'post' } })).toEqual(['%b', '%d'])
    expect(await q({ type: { $eq: 'vote' } })).toEqual(['%b'])
    expect(await q({ root: { $not: true } })).toEqual(['%a', '%b', '%d'])
    expect(await q({ n: { $int: true } })).toEqual(['%d'])
    expect(await q({ n: { $mod: 2 } })).toEqual(['%d'])
  })
  test('a missing value never matches a nested rule', async () => {
    expect(keys(await applyQuery([{ $filter: { value: { content: { vote: { value: 1 } } } } }], msgs))).toEqual(['%b'])
  })
  test('sync markers pass filters and maps', async () => {
    const out = await applyQuery([{ $filter: { value: { author: '@z' } } }, { $map: 'key' }], [...msgs, { sync: true }])
    expect(out).toEqual(['%d', { sync: true }])
  })
})

describe('$map', () => {
  test('paths, negative indexes, true, and templates reading the whole value', async () => {
    expect(await applyQuery([{ $map: 'key' }], msgs)).toEqual(['%a', '%b', '%c', '%d'])
    expect(await applyQuery([{ $map: ['value', 'content', 'tags', -1] }], msgs)).toEqual(['b'])
    expect(await applyQuery([{ $filter: { key: '%d' } }, { $map: true }], msgs)).toEqual([msgs[3]])
    expect(await applyQuery([{ $filter: { key: '%c' } }, { $map: { key: true, who: ['value', 'author'], t: { x: ['value', 'content', 'type'] } } }], msgs)).toEqual([
      { key: '%c', who: '@x', t: { x: 'post' } },
    ])
  })
  test('falsy results are dropped', async () => {
    expect(await applyQuery([{ $map: ['value', 'content', 'root'] }], msgs)).toEqual(['%a'])
  })
})

describe('$reduce', () => {
  test('a count', async () => {
    expect(await applyQuery([{ $reduce: { $count: true } }], msgs)).toEqual([4])
  })
  test('groups in typewise order of their keys, flattened', async () => {
    const out = await applyQuery([{ $reduce: { author: ['value', 'author'], n: { $count: true }, seqs: { $collect: ['value', 'sequence'] } } }], msgs)
    expect(out).toEqual([
      { author: '@x', n: 2, seqs: [1, 2] },
      { author: '@y', n: 1, seqs: [1] },
      { author: '@z', n: 1, seqs: [1] },
    ])
  })
  test('an object of reductions emits its values; $max starts from null like the original', async () => {
    expect(await applyQuery([{ $reduce: { total: { $sum: ['value', 'sequence'] }, top: { $max: ['value', 'sequence'] } } }], msgs)).toEqual([5, 2])
    // Math.min(null, 1) === 0: the accumulator starts as null, not undefined
    expect(await applyQuery([{ $map: ['value', 'sequence'] }, { $reduce: { $min: true } }], msgs)).toEqual([0])
  })
  test('no input: nothing out', async () => {
    expect(await applyQuery([{ $filter: { key: 'none' } }, { $reduce: { $count: true } }], msgs)).toEqual([])
  })
})

describe('$sort', () => {
  test('by several paths, stable, $reverse applies to the rest', async () => {
    expect(keys(await applyQuery([{ $sort: [['value', 'author'], ['value', 'sequence']] }], msgs))).toEqual(['%a', '%c', '%b', '%d'])
    expect(keys(await applyQuery([{ $sort: [{ $reverse: ['value', 'author'] }, ['value', 'sequence']] }], msgs))).toEqual(['%d', '%b', '%c', '%a'])
    expect(keys(await applyQuery([{ $sort: [['value', 'sequence']] }], msgs))).toEqual(['%a', '%b', '%d', '%c'])
  })
  test('objects cannot be compared', async () => {
    await expectError([{ $sort: [['value', 'content']] }], 'QUERY_UNCOMPARABLE')
  })
})

describe('typewise compare', () => {
  test('null < boolean < number < string < array < undefined', () => {
    const sorted = [undefined, ['a'], 'b', 2, true, null, false, 1, 'a', []].sort(compare)
    expect(sorted).toEqual([null, false, true, 1, 2, 'a', 'b', [], ['a'], undefined])
  })
})

describe('hostile queries', () => {
  test('unknown operators and stages are rejected', async () => {
    await expectError([{ $filter: { value: { $where: 'x' } } }], 'QUERY_UNKNOWN_OPERATOR')
    await expectError([{ $group: {} }], 'QUERY_UNKNOWN_OPERATOR')
    await expectError([{ $filter: { a: { $gt: 1, b: 2 } } }], 'QUERY_INVALID')
    await expectError([{ $filter: {}, $map: true }], 'QUERY_INVALID')
    await expectError({ $filter: {} }, 'QUERY_INVALID')
    await expectError([{ $filter: { a: { $in: 5 } } }], 'QUERY_INVALID')
  })
  test('depth and size are bounded', async () => {
    let deep: unknown = 'x'
    for (let i = 0; i < MAX_QUERY_DEPTH + 2; i++) deep = { a: deep }
    await expectError([{ $filter: deep }], 'QUERY_TOO_LARGE')
    await expectError([{ $filter: { a: { $in: Array.from({ length: 10_000 }, (_, i) => i) } } }], 'QUERY_TOO_LARGE')
  })
  test('prototype properties are not reachable', async () => {
    expect(await applyQuery([{ $filter: { constructor: { $truthy: true } } }], msgs)).toEqual([])
    expect(await applyQuery([{ $map: ['__proto__'] }], msgs)).toEqual([])
  })
})

describe('planner input', () => {
  test('explain bounds hostile filters before looking at them', async () => {
    const { explain } = await import('../src/index.js')
    let deep: unknown = 'x'
    for (let i = 0; i < 10_000; i++) deep = [deep]
    expect(() => explain({ query: [{ $filter: { value: { content: { type: deep } } } }] })).toThrow(QueryError)
    expect(() => explain('{"value": ')).toThrow(/JSON/)
  })
})

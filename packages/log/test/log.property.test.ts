import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { type Log, openLog } from '@ssb/log'
import { collect, expectCode, tempDir } from './helpers.js'

type Op =
  | { kind: 'append'; size: number }
  | { kind: 'batch'; sizes: number[] }
  | { kind: 'erase'; pick: number }
  | { kind: 'get'; pick: number }
  | { kind: 'stream'; from: number; to: number; reverse: boolean }
  | { kind: 'compact' }
  | { kind: 'reopen'; sync: 'always' | 'none' }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('append' as const), size: fc.nat({ max: 3000 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('batch' as const), sizes: fc.array(fc.nat({ max: 1500 }), { maxLength: 12 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('erase' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('get' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('stream' as const), from: fc.nat(), to: fc.nat(), reverse: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'compact' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const), sync: fc.constantFrom('always' as const, 'none' as const) }) },
)

interface ModelRecord {
  offset: number
  value: Uint8Array
  erased: boolean
}

let nextTag = 0
function makeRecord(size: number): Uint8Array {
  const tag = nextTag++
  const r = new Uint8Array(size)
  for (let i = 0; i < size; i++) r[i] = (tag * 13 + i) & 0xff
  return r
}

async function checkAll(log: Log, model: ModelRecord[]): Promise<void> {
  const live = model.filter((r) => !r.erased)
  expect(log.count).toBe(live.length)
  const fwd = await collect(log.stream())
  expect(fwd.map((e) => e.offset)).toEqual(live.map((r) => r.offset))
  fwd.forEach((e, i) => expect(Buffer.compare(e.value, live[i]!.value)).toBe(0))
  const rev = await collect(log.stream({ reverse: true }))
  expect(rev.map((e) => e.offset)).toEqual(live.map((r) => r.offset).reverse())
  for (const r of model) {
    const v = await log.get(r.offset)
    if (r.erased) expect(v).toBeNull()
    else expect(Buffer.compare(v!, r.value)).toBe(0)
  }
}

describe('log vs in-memory model', () => {
  test('random append/appendBatch/erase/compact/reopen sequences agree with the model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.constantFrom('always' as const, 'none' as const), async (ops, sync) => {
        const dir = await tempDir()
        let log = await openLog({ dir, sync, cacheBytes: 64 * 1024 })
        let model: ModelRecord[] = []
        let generation = 0
        try {
          for (const op of ops) {
            switch (op.kind) {
              case 'append': {
                const value = makeRecord(op.size)
                const end = log.end
                const offset = await log.append(value)
                expect(offset).toBe(end)
                expect(log.end).toBe(end + op.size + 16)
                model.push({ offset, value, erased: false })
                break
              }
              case 'batch': {
                const values = op.sizes.map(makeRecord)
                const offsets = await log.appendBatch(values)
                values.forEach((value, i) => model.push({ offset: offsets[i]!, value, erased: false }))
                break
              }
              case 'erase': {
                if (model.length === 0) break
                const r = model[op.pick % model.length]!
                await log.erase(r.offset)
                r.erased = true
                break
              }
              case 'get': {
                if (model.length === 0) {
                  await expectCode(log.get(log.end), 'LOG_BAD_OFFSET')
                  break
                }
                const r = model[op.pick % model.length]!
                const v = await log.get(r.offset)
                if (r.erased) expect(v).toBeNull()
                else expect(Buffer.compare(v!, r.value)).toBe(0)
                break
              }
              case 'stream': {
                const live = model.filter((r) => !r.erased)
                if (live.length === 0) break
                const a = live[op.from % live.length]!.offset
                const b = live[op.to % live.length]!.offset
                const [lo, hi] = a <= b ? [a, b] : [b, a]
                const got = await collect(log.stream({ gte: lo, lt: hi, reverse: op.reverse }))
                const want = live.filter((r) => r.offset >= lo && r.offset < hi).map((r) => r.offset)
                expect(got.map((e) => e.offset)).toEqual(op.reverse ? want.reverse() : want)
                break
              }
              case 'compact': {
                await log.compact()
                generation++
                model = model.filter((r) => !r.erased)
                const entries = await collect(log.stream())
                expect(entries.length).toBe(model.length)
                entries.forEach((e, i) => (model[i]!.offset = e.offset))
                break
              }
              case 'reopen': {
                const end = log.end
                await log.close()
                log = await openLog({ dir, sync: op.sync, cacheBytes: 64 * 1024 })
                expect(log.recovery).toBeNull()
                expect(log.end).toBe(end)
                break
              }
            }
            expect(log.generation).toBe(generation)
          }
          await checkAll(log, model)
          await log.close()
          log = await openLog({ dir })
          await checkAll(log, model)
        } finally {
          await log.close()
        }
      }),
      { numRuns: 40 },
    )
  }, 120_000)
})

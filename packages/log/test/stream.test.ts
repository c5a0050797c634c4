import { describe, expect, test } from 'vitest'
import { type Log, type LogEntry, openLog } from '@ssb/log'
import { collect, dec, enc, expectCode, recordFor, tempDir, track } from './helpers.js'

async function filled(n: number, opts: { sync?: 'always' | 'none' } = {}): Promise<{ log: Log; offsets: number[] }> {
  const log = track(await openLog({ dir: await tempDir(), ...opts }))
  const offsets = await log.appendBatch(Array.from({ length: n }, (_, i) => recordFor(i)))
  return { log, offsets }
}

const offsetsOf = (entries: LogEntry[]) => entries.map((e) => e.offset)

describe('stream bounds', () => {
  test('forward and reverse over everything, values intact', async () => {
    const { log, offsets } = await filled(300)
    const fwd = await collect(log.stream())
    expect(offsetsOf(fwd)).toEqual(offsets)
    fwd.forEach((e, i) => expect(e.value).toEqual(recordFor(i)))
    const rev = await collect(log.stream({ reverse: true }))
    expect(offsetsOf(rev)).toEqual([...offsets].reverse())
    rev.forEach((e, i) => expect(e.value).toEqual(recordFor(299 - i)))
  })

  test('gt / gte / lt select the right records in both directions', async () => {
    const { log, offsets: o } = await filled(10)
    expect(offsetsOf(await collect(log.stream({ gt: o[3]! })))).toEqual(o.slice(4))
    expect(offsetsOf(await collect(log.stream({ gte: o[3]! })))).toEqual(o.slice(3))
    expect(offsetsOf(await collect(log.stream({ lt: o[3]! })))).toEqual(o.slice(0, 3))
    expect(offsetsOf(await collect(log.stream({ gte: o[2]!, lt: o[5]! })))).toEqual(o.slice(2, 5))
    expect(offsetsOf(await collect(log.stream({ gt: o[2]!, lt: o[5]!, reverse: true })))).toEqual(o.slice(3, 5).reverse())
    expect(offsetsOf(await collect(log.stream({ gte: o[2]!, reverse: true })))).toEqual(o.slice(2).reverse())
    expect(offsetsOf(await collect(log.stream({ lt: o[1]!, reverse: true })))).toEqual([o[0]])
    expect(offsetsOf(await collect(log.stream({ gt: o[9]! })))).toEqual([])
    expect(offsetsOf(await collect(log.stream({ gt: -1 })))).toEqual(o)
    expect(offsetsOf(await collect(log.stream({ gte: -100, lt: Infinity })))).toEqual(o)
    expect(offsetsOf(await collect(log.stream({ gte: log.end + 1000 })))).toEqual([])
    expect(offsetsOf(await collect(log.stream({ lt: 0 })))).toEqual([])
    expect(offsetsOf(await collect(log.stream({ lt: 0, reverse: true })))).toEqual([])
    expect(offsetsOf(await collect(log.stream({ gte: o[4]!, lt: o[4]! })))).toEqual([])
  })

  test('gt / gte / lt inside the log that are not record boundaries are LOG_BAD_OFFSET', async () => {
    const { log, offsets: o } = await filled(5)
    await expectCode(collect(log.stream({ gt: o[1]! + 3 })), 'LOG_BAD_OFFSET')
    await expectCode(collect(log.stream({ gte: o[1]! + 3 })), 'LOG_BAD_OFFSET')
    await expectCode(collect(log.stream({ lt: o[1]! + 3, reverse: true })), 'LOG_BAD_OFFSET')
    await expectCode(collect(log.stream({ gt: 'x' as unknown as number })), 'LOG_INVALID_ARGUMENT')
    await expectCode(collect(log.stream({ reverse: true, live: true })), 'LOG_INVALID_ARGUMENT')
  })

  test('a stream spanning many blocks (records of mixed sizes up to 200 KiB) reads every record once', async () => {
    const log = track(await openLog({ dir: await tempDir() }))
    const sizes = Array.from({ length: 400 }, (_, i) => (i % 37 === 0 ? 200_000 : 10 + ((i * 997) % 5000)))
    const offsets = await log.appendBatch(sizes.map((s, i) => recordFor(i, s)))
    const fwd = await collect(log.stream())
    expect(offsetsOf(fwd)).toEqual(offsets)
    expect(fwd.map((e) => e.value.length)).toEqual(sizes)
    const rev = await collect(log.stream({ reverse: true }))
    expect(rev.map((e) => e.value.length)).toEqual([...sizes].reverse())
    expect(rev[17]!.value).toEqual(recordFor(399 - 17, sizes[399 - 17]))
  })

  test('a non-live stream is a snapshot: records appended while it runs are not included', async () => {
    const { log, offsets } = await filled(50)
    const seen: number[] = []
    for await (const e of log.stream()) {
      seen.push(e.offset)
      if (seen.length === 10) await log.appendBatch([enc('later-1'), enc('later-2')])
    }
    expect(seen).toEqual(offsets)
    expect(log.count).toBe(52)
  })

  test('breaking out of a stream early is fine and the log stays usable', async () => {
    const { log } = await filled(100)
    let n = 0
    for await (const _ of log.stream()) if (++n === 5) break
    await log.append(enc('more'))
    expect((await collect(log.stream())).length).toBe(101)
  })

  test("stream sees records still queued with sync 'none'", async () => {
    const { log, offsets } = await filled(50, { sync: 'none' })
    expect(offsetsOf(await collect(log.stream()))).toEqual(offsets)
    expect(offsetsOf(await collect(log.stream({ reverse: true })))).toEqual([...offsets].reverse())
  })
})

describe('live streams', () => {
  test('old records then new appends, without missing one appended at the switch', async () => {
    const { log, offsets } = await filled(20)
    const ac = new AbortController()
    const seen: number[] = []
    let appended = false
    const done = (async () => {
      for await (const e of log.stream({ live: true, signal: ac.signal })) {
        seen.push(e.offset)
        // Append while the stream is still draining the old part: it must still be delivered.
        if (!appended) {
          appended = true
          offsets.push(await log.append(enc('during')))
        }
        if (seen.length === 26) ac.abort()
      }
    })()
    for (let i = 0; i < 5; i++) offsets.push(await log.append(recordFor(100 + i)))
    await done
    expect(seen).toEqual(offsets)
  })

  test('gt beyond the current end waits for records past it', async () => {
    const { log } = await filled(3)
    const ac = new AbortController()
    const got: LogEntry[] = []
    const done = (async () => {
      for await (const e of log.stream({ gt: log.end - 1 + 50, live: true, signal: ac.signal })) {
        got.push(e)
        ac.abort()
      }
    })()
    const end = log.end
    await log.append(new Uint8Array(40)) // offset end, not past end + 49
    const b = await log.append(enc('wanted'))
    await done
    expect(b).toBeGreaterThan(end + 49)
    expect(dec(got[0]!.value)).toBe('wanted')
  })

  test('abort while waiting ends the iteration promptly', async () => {
    const { log } = await filled(2)
    const ac = new AbortController()
    const it = log.stream({ live: true, signal: ac.signal })[Symbol.asyncIterator]()
    expect((await it.next()).done).toBe(false)
    expect((await it.next()).done).toBe(false)
    const waiting = it.next()
    ac.abort()
    expect(await waiting).toEqual({ done: true, value: undefined })
  })

  test('an already-aborted signal yields nothing', async () => {
    const { log } = await filled(2)
    expect(await collect(log.stream({ signal: AbortSignal.abort() }))).toEqual([])
  })

  test('abort stops a non-live stream between records', async () => {
    const { log } = await filled(100)
    const ac = new AbortController()
    let n = 0
    for await (const _ of log.stream({ signal: ac.signal })) if (++n === 10) ac.abort()
    expect(n).toBe(10)
  })

  test("live works with sync 'none' and with concurrent writers", async () => {
    const log = track(await openLog({ dir: await tempDir(), sync: 'none' }))
    const ac = new AbortController()
    const seen: number[] = []
    const done = (async () => {
      for await (const e of log.stream({ live: true, signal: ac.signal })) {
        seen.push(new DataView(e.value.buffer, e.value.byteOffset).getUint32(0))
        if (seen.length === 1000) ac.abort()
      }
    })()
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 250; i++) await log.append(recordFor(w * 250 + i))
    })
    await Promise.all(writers)
    await done
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
  })

  test('close ends a waiting live stream with LOG_CLOSED', async () => {
    const log = await openLog({ dir: await tempDir() })
    await log.append(enc('a'))
    const it = log.stream({ live: true })[Symbol.asyncIterator]()
    await it.next()
    const waiting = expectCode(it.next(), 'LOG_CLOSED')
    await log.close()
    await waiting
  })

  test('compaction ends an open stream with LOG_COMPACTED', async () => {
    const { log, offsets } = await filled(10)
    await log.erase(offsets[0]!)
    const it = log.stream({ live: true })[Symbol.asyncIterator]()
    await it.next()
    const rest: Promise<unknown>[] = []
    for (let i = 0; i < 8; i++) rest.push(it.next())
    await Promise.all(rest)
    const waiting = expectCode(it.next(), 'LOG_COMPACTED')
    await log.compact()
    await waiting
  })
})

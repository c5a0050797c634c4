import { expect, test } from 'vitest'
import { clampPingInterval, pingSession } from '../src/index.js'
import { FakeClock, flush } from './fake-clock.js'

/** An in-memory pipe: what one side yields the other reads. */
function connect(a: ReturnType<typeof pingSession>, b: ReturnType<typeof pingSession>) {
  void a.run(b.output)
  void b.run(a.output)
}

test('interval is clamped to 10 s … 30 min, default 5 min', () => {
  expect(clampPingInterval(1)).toBe(10_000)
  expect(clampPingInterval(1e9)).toBe(30 * 60_000)
  expect(clampPingInterval(undefined)).toBe(5 * 60_000)
  expect(clampPingInterval('x')).toBe(5 * 60_000)
})

test('timestamps bounce: the server measures rtt/skew, then both sides take turns each interval', async () => {
  const clock = new FakeClock()
  const samples: Array<[string, number, number]> = []
  const ac = new AbortController()
  const a = pingSession({ serve: true, intervalMs: 10_000, clock, signal: ac.signal, onSample: (r, s) => samples.push(['a', r, s]) })
  const b = pingSession({ serve: false, intervalMs: 10_000, clock, signal: ac.signal, onSample: (r, s) => samples.push(['b', r, s]) })
  connect(a, b)
  await flush()
  expect(samples).toEqual([['a', 0, 0]])
  clock.advance(10_000)
  await flush()
  expect(samples.map((s) => s[0])).toEqual(['a', 'b'])
  clock.advance(10_000)
  await flush()
  expect(samples.map((s) => s[0])).toEqual(['a', 'b', 'a'])
  ac.abort()
  await flush()
  expect(clock.pending).toBe(0)
})

test('a flood of unsolicited pings gets at most one answer per second', async () => {
  const clock = new FakeClock()
  const ac = new AbortController()
  const s = pingSession({ serve: false, clock, signal: ac.signal })
  const answers: number[] = []
  const reading = (async () => {
    for await (const x of s.output) answers.push(x)
  })()
  await s.run(
    (async function* () {
      for (let i = 0; i < 1000; i++) {
        yield i
        if (i % 100 === 99) clock.advance(500)
      }
      yield 'not a number'
      yield { evil: true }
    })(),
  )
  await reading
  expect(answers.length).toBeGreaterThanOrEqual(1)
  expect(answers.length).toBeLessThanOrEqual(6)
})

import { generateKeys } from '@ssb/keys'
import { describe, expect, test } from 'vitest'
import { backoffDelay, PeerTable, Scheduler, type PeerRecord } from '../src/index.js'
import { FakeClock, flush } from './fake-clock.js'

const address = (k = generateKeys(), host = '10.0.0.1') => `net:${host}:8008~shs:${k.public.replace(/\.ed25519$/, '')}`

interface Dial {
  peer: PeerRecord
  signal: AbortSignal
  resolve(): void
  reject(err: Error): void
}

function setup(opts: ConstructorParameters<typeof Scheduler>[1] = {}, extra: Partial<ConstructorParameters<typeof Scheduler>[0]> = {}) {
  const clock = new FakeClock()
  const table = new PeerTable({ now: () => clock.now() })
  const dials: Dial[] = []
  const disconnected: string[] = []
  const scheduler = new Scheduler(
    {
      table,
      clock,
      dial: (peer, signal) =>
        new Promise<void>((resolve, reject) => {
          dials.push({ peer, signal, resolve, reject })
        }),
      disconnect: (peer) => disconnected.push(peer.key),
      ...extra,
    },
    { intervalMs: 1000, backoffFactorMs: 1000, backoffMaxMs: 60_000, dialTimeoutMs: 5000, ...opts },
  )
  return { clock, table, dials, disconnected, scheduler }
}

describe('Scheduler', () => {
  test('back-off is min(2^failures × factor, max)', () => {
    expect([0, 1, 2, 3, 10].map((f) => backoffDelay(f, 1000, 60_000))).toEqual([1000, 2000, 4000, 8000, 60_000])
    expect(backoffDelay(1e9, 1000, 60_000)).toBe(60_000)
  })

  test('keeps `connections` peers, no more, and counts peers that dialled us', async () => {
    const { clock, table, dials, scheduler } = setup({ connections: 2, maxDials: 10 })
    for (let i = 0; i < 5; i++) table.add(address(), 'pub')
    scheduler.start()
    clock.advance(0)
    expect(dials).toHaveLength(2)
    dials[0]!.resolve()
    dials[1]!.resolve()
    await flush()
    expect(table.peers().filter((p) => p.state === 'connected')).toHaveLength(2)
    clock.advance(5000)
    expect(dials).toHaveLength(2)
    table.disconnected(dials[0]!.peer.key)
    clock.advance(1000)
    expect(dials).toHaveLength(3)
    scheduler.stop()
  })

  test('failures back off exponentially and each dial is bounded by its timeout', async () => {
    const { clock, table, dials, scheduler } = setup({ connections: 1 })
    const peer = table.add(address(), 'seed')!
    scheduler.start()
    const times: number[] = []
    const start = clock.now()
    for (let attempt = 0; attempt < 4; attempt++) {
      while (dials.length === attempt) clock.advance(100)
      times.push(clock.now() - start)
      const d = dials[attempt]!
      if (attempt % 2 === 0) d.reject(new Error('ECONNREFUSED'))
      else {
        clock.advance(5000) // hangs: the timeout aborts it
        expect(d.signal.aborted).toBe(true)
      }
      await flush()
      expect(peer.failure).toBe(attempt + 1)
      expect(peer.state).toBeUndefined()
    }
    // gaps between attempts: 2^1, 2^2, 2^3 seconds of back-off (plus the 5 s hangs), ticks of 1 s
    const gaps = times.slice(1).map((t, i) => t - times[i]!)
    expect(gaps[0]).toBeGreaterThanOrEqual(2000)
    expect(gaps[0]).toBeLessThan(3100)
    expect(gaps[1]).toBeGreaterThanOrEqual(5000 + 4000)
    expect(gaps[1]).toBeLessThan(5000 + 5100)
    expect(gaps[2]).toBeGreaterThanOrEqual(8000)
    expect(gaps[2]).toBeLessThan(9100)
    expect(peer.error).toMatch(/ECONNREFUSED|timeout/)
    scheduler.stop()
  })

  test('never more than maxDials in flight, even with many hanging peers', () => {
    const { clock, table, dials, scheduler } = setup({ connections: 10, maxDials: 2 })
    for (let i = 0; i < 50; i++) table.add(address(), 'pub')
    scheduler.start()
    clock.advance(3000)
    expect(dials).toHaveLength(2)
    expect(scheduler.dialsInFlight).toBe(2)
    clock.advance(5000) // both time out; next two start
    expect(dials.length).toBeGreaterThanOrEqual(4)
    expect(scheduler.dialsInFlight).toBeLessThanOrEqual(2)
    scheduler.stop()
    expect(dials.every((d) => d.signal.aborted)).toBe(true)
  })

  test('prefers higher score, then seeds, local, manual, pub', () => {
    const followed = generateKeys()
    const { clock, table, dials, scheduler } = setup({ connections: 1 }, { score: (p) => (p.key === followed.id ? 2 : 0) })
    table.add(address(), 'pub')
    table.add(address(), 'manual')
    table.add(address(), 'local')
    const seed = table.add(address(), 'seed')!
    table.add(address(followed), 'pub')
    scheduler.tick()
    expect(dials[0]!.peer.key).toBe(followed.id)
    dials[0]!.reject(new Error('x'))
    scheduler.setSource('pub', false)
    return flush().then(() => {
      clock.advance(1)
      scheduler.tick()
      expect(dials[1]!.peer.key).toBe(seed.key)
    })
  })

  test('disabled sources and undialable transports are skipped; disable stops automatic dialling', () => {
    const { table, dials, scheduler } = setup({ connections: 3, sources: { local: false } }, { canDial: (p) => p.address.startsWith('net:') })
    table.add(address(), 'local')
    table.add(`ws://example.org:80~shs:${generateKeys().public.replace(/\.ed25519$/, '')}`, 'pub')
    scheduler.setEnabled(false)
    table.add(address(), 'pub')
    scheduler.tick()
    expect(dials).toHaveLength(0)
    scheduler.setEnabled(true)
    scheduler.tick()
    expect(dials).toHaveLength(1)
    expect(dials[0]!.peer.source).toBe('pub')
    expect(dials[0]!.peer.address.startsWith('net:')).toBe(true)
  })

  test('rotates an idle outgoing connection when other peers wait', async () => {
    let activity = 0
    const { clock, table, dials, disconnected, scheduler } = setup({ connections: 1, idleMs: 60_000 }, { lastActivity: () => activity })
    table.add(address(), 'pub')
    table.add(address(), 'pub')
    scheduler.tick()
    dials[0]!.resolve()
    await flush()
    clock.advance(30_000)
    activity = clock.now()
    scheduler.tick()
    expect(disconnected).toHaveLength(0)
    clock.advance(61_000)
    scheduler.tick()
    expect(disconnected).toEqual([dials[0]!.peer.key])
    expect(table.get(dials[0]!.peer.key)!.state).toBe('disconnecting')
  })

  test('a manual dial of a peer goes through the same bookkeeping and joins a dial in flight', async () => {
    const { table, dials, scheduler } = setup()
    const p = table.add(address(), 'manual')!
    const done = scheduler.dial(p)
    const again = scheduler.dial(p)
    expect(dials).toHaveLength(1)
    expect(scheduler.isDialing(p.key)).toBe(true)
    dials[0]!.resolve()
    await Promise.all([done, again])
    expect(scheduler.isDialing(p.key)).toBe(false)
    expect(p.state).toBe('connected')
    expect(p.client).toBe(true)
  })

  test('10k peers: one tick dials only the best few', () => {
    const { table, dials, scheduler } = setup({ connections: 3, maxDials: 3 })
    for (let i = 0; i < 10_000; i++) table.add(`net:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:8008~shs:${generateKeys().public.replace(/\.ed25519$/, '')}`, i % 100 === 0 ? 'seed' : 'pub')
    scheduler.tick()
    expect(dials).toHaveLength(3)
    expect(dials.every((d) => d.peer.source === 'seed')).toBe(true)
  })
})

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeys } from '@ssb/keys'
import { describe, expect, test } from 'vitest'
import { GossipError, loadPeerTable, PeerTable, savePeerTable, type PeerChange } from '../src/index.js'

const addr = (port = 8008, k = generateKeys()) => ({ address: `net:10.0.0.1:${port}~shs:${k.public.replace(/\.ed25519$/, '')}`, id: k.id })

describe('PeerTable', () => {
  test('dedupes by key, never adds our own id, counts announcers', () => {
    const me = generateKeys()
    const table = new PeerTable({ ownId: me.id })
    expect(table.add(addr(8008, me).address, 'manual')).toBeNull()
    const a = addr()
    const changes: PeerChange[] = []
    table.onChange((c) => changes.push(c))
    const p = table.add(a.address, 'pub')!
    expect(p).toMatchObject({ key: a.id, host: '10.0.0.1', port: 8008, source: 'pub', announcers: 1, failure: 0 })
    table.add({ host: '10.0.0.1', port: 8008, key: a.id }, 'pub')
    expect(table.size).toBe(1)
    expect(table.get(a.id)!.announcers).toBe(2)
    expect(changes.map((c) => c.type)).toEqual(['discover'])
  })

  test('a stronger source takes over the address; local never counts as an announcement', () => {
    const table = new PeerTable()
    const k = generateKeys()
    const pubAddr = `net:example.org:8008~shs:${k.public.replace(/\.ed25519$/, '')}`
    const lanAddr = `net:192.168.1.5:8008~shs:${k.public.replace(/\.ed25519$/, '')}`
    table.add(pubAddr, 'pub')
    table.add(lanAddr, 'local')
    expect(table.get(k.id)).toMatchObject({ source: 'local', address: lanAddr, host: '192.168.1.5', announcers: 1 })
    table.add(lanAddr, 'local')
    table.add(pubAddr, 'pub')
    expect(table.get(k.id)).toMatchObject({ source: 'local', address: lanAddr, announcers: 1 })
  })

  test('state changes: connecting, connected, disconnected, failed', () => {
    let now = 1000
    const table = new PeerTable({ now: () => now })
    const a = addr()
    table.add(a.address)
    table.connecting(a.id)
    expect(table.get(a.id)).toMatchObject({ state: 'connecting', stateChange: 1000 })
    now = 1500
    table.failed(a.id, new Error('ECONNREFUSED'))
    expect(table.get(a.id)).toMatchObject({ state: undefined, failure: 1, stateChange: 1500, error: 'ECONNREFUSED' })
    table.connecting(a.id)
    now = 2000
    table.connected(a.id, true)
    expect(table.get(a.id)).toMatchObject({ state: 'connected', client: true, failure: 0 })
    expect(table.get(a.id)!.error).toBeUndefined()
    now = 7000
    table.disconnected(a.id)
    const p = table.get(a.id)!
    expect(p.state).toBeUndefined()
    expect(p.duration).toMatchObject({ count: 2, sum: 5000, mean: 2500 })
  })

  test('bounded: a pub flood cannot push out peers that worked, other sources evict the worst pub entry', () => {
    let now = 0
    const table = new PeerTable({ maxPeers: 10, now: () => now })
    const good = addr()
    table.add(good.address, 'pub')
    table.connecting(good.id)
    table.connected(good.id, true)
    now += 60_000
    table.disconnected(good.id)
    const bad = addr()
    table.add(bad.address, 'pub')
    for (let i = 0; i < 3; i++) {
      table.connecting(bad.id)
      table.failed(bad.id)
    }
    for (let i = 0; i < 1000; i++) table.add(addr(1000 + i).address, 'pub')
    expect(table.size).toBe(10)
    expect(table.get(good.id)).toBeDefined()
    expect(table.get(bad.id)).toBeUndefined() // worth less than a fresh announcement
    const manual = addr()
    expect(table.add(manual.address, 'manual')).not.toBeNull()
    expect(table.size).toBe(10)
    expect(table.get(good.id)).toBeDefined()
  })

  test('a table full of non-pub peers refuses more with GOSSIP_TABLE_FULL', () => {
    const table = new PeerTable({ maxPeers: 2 })
    table.add(addr().address, 'manual')
    table.add(addr().address, 'seed')
    expect(table.add(addr().address, 'pub')).toBeNull()
    expect(() => table.add(addr().address, 'manual')).toThrow(GossipError)
    try {
      table.add(addr().address, 'manual')
    } catch (err) {
      expect((err as GossipError).code).toBe('GOSSIP_TABLE_FULL')
    }
  })

  test('invalid addresses throw typed errors', () => {
    const table = new PeerTable()
    expect(() => table.add('net:nope', 'manual')).toThrow(GossipError)
    expect(() => table.add(addr().address, 'bogus' as never)).toThrow(GossipError)
  })
})

describe('gossip.json persistence', () => {
  test('saves atomically without local peers and restores history', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gossip-table-'))
    try {
      const file = join(dir, 'gossip.json')
      const table = new PeerTable()
      const a = addr()
      const l = addr()
      table.add(a.address, 'seed')
      table.add(l.address, 'local')
      table.connecting(a.id)
      table.failed(a.id)
      await savePeerTable(table, file)
      const saved = JSON.parse(await readFile(file, 'utf8')) as Array<Record<string, unknown>>
      expect(saved).toHaveLength(1)
      expect(saved[0]).toMatchObject({ address: a.address, key: a.id, host: '10.0.0.1', port: 8008, source: 'seed', failure: 1 })
      expect(saved[0]!.state).toBeUndefined()
      const again = new PeerTable()
      expect(await loadPeerTable(again, file)).toBe(1)
      expect(again.get(a.id)).toMatchObject({ source: 'seed', failure: 1 })
      expect(again.get(l.id)).toBeUndefined()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  test("reads ssb-gossip's legacy records and skips garbage entries", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gossip-table-'))
    try {
      const file = join(dir, 'gossip.json')
      const k = generateKeys()
      await writeFile(file, JSON.stringify([{ host: '1.2.3.4', port: 8008, key: k.id, source: 'pub', announcers: 3 }, { nonsense: true }, 'x', null]))
      const table = new PeerTable()
      expect(await loadPeerTable(table, file)).toBe(1)
      expect(table.get(k.id)).toMatchObject({ source: 'pub', announcers: 3, host: '1.2.3.4' })
      await writeFile(file, '{oops')
      await expect(loadPeerTable(new PeerTable(), file)).rejects.toMatchObject({ code: 'GOSSIP_INVALID_STATE_FILE' })
      expect(await loadPeerTable(new PeerTable(), join(dir, 'missing.json'))).toBe(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

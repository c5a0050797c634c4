import { afterEach, describe, expect, test } from 'vitest'
import { join } from 'node:path'
import { connectClient } from '@ssb/server'
import { testServer, type TestServer, waitForSeq } from './helpers.js'

const servers: TestServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0).reverse()) await s.stop()
})

async function start(): Promise<TestServer> {
  const t = await testServer()
  servers.push(t)
  return t
}

function address(t: TestServer): string {
  return `net:127.0.0.1:${t.port}~shs:${t.keys.public.replace(/\.ed25519$/, '')}`
}

describe('replication between our servers', () => {
  test('EBT: followed feeds and foafs flow both ways, live messages too, hop 3 does not', async () => {
    const a = await start()
    const b = await start()
    const c = await start() // followed by b: hop 2 for a
    const d = await start() // followed by c: hop 3 for a
    await a.server.db.publish({ type: 'contact', contact: b.keys.id, following: true })
    await b.server.db.publish({ type: 'contact', contact: a.keys.id, following: true })
    await b.server.db.publish({ type: 'contact', contact: c.keys.id, following: true })
    for (let i = 0; i < 50; i++) await b.server.db.publish({ type: 'post', text: `b${i}` })
    // c's and d's feeds reach b by a direct replication first
    await c.server.db.publish({ type: 'contact', contact: d.keys.id, following: true })
    await c.server.db.publish({ type: 'post', text: 'from c' })
    await d.server.db.publish({ type: 'post', text: 'from d' })
    await b.server.db.publish({ type: 'contact', contact: d.keys.id, following: true })
    await b.server.connect(address(c))
    await b.server.connect(address(d))
    await waitForSeq(b, c.keys.id, 2)
    await waitForSeq(b, d.keys.id, 1)

    await a.server.connect(address(b))
    await waitForSeq(a, b.keys.id, 53)
    await waitForSeq(a, c.keys.id, 2)
    await waitForSeq(b, a.keys.id, 1)
    const live = waitForSeq(a, b.keys.id, 54)
    await b.server.db.publish({ type: 'post', text: 'live' })
    await live
    // d is 3 hops from a (a → b → c → d would be 3; but b follows d directly, so d is hop 2)
    expect(a.server.db.feedState(d.keys.id)?.sequence).toBe(1)
    const local = await connectClient({ kind: 'unix', path: join(a.dir, 'socket') }, { keys: a.keys })
    const status = (await local.rpc.call('ebt.peerStatus', [b.keys.id])) as { id: string; seq: number; peers: Record<string, unknown> }
    await local.close()
    expect(status.id).toBe(b.keys.id)
    expect(status.seq).toBe(54)
    expect(Object.keys(status.peers)).toContain(b.keys.id)
  })

  test('a blocked feed is not replicated', async () => {
    const a = await start()
    const b = await start()
    const c = await start()
    await a.server.db.publish({ type: 'contact', contact: b.keys.id, following: true })
    await a.server.db.publish({ type: 'contact', contact: c.keys.id, blocking: true })
    await b.server.db.publish({ type: 'contact', contact: c.keys.id, following: true })
    await c.server.db.publish({ type: 'post', text: 'c' })
    await b.server.connect(address(c))
    await waitForSeq(b, c.keys.id, 1)
    await b.server.db.publish({ type: 'post', text: 'marker' })
    await a.server.connect(address(b))
    await waitForSeq(a, b.keys.id, 2)
    expect(a.server.db.feedState(c.keys.id)).toBeNull()
    // and the blocked feed cannot even connect to us
    await expect(c.server.connect(address(a))).rejects.toThrow()
  })
})

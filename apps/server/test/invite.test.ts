import { createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { guestKeys, parseInviteCode } from '@ssb/invite'
import { generateKeys, type Keys } from '@ssb/keys'
import { connectClient, silentLogger, startServer, type SsbClient } from '@ssb/server'
import { afterEach, describe, expect, test } from 'vitest'
import { collect, freePort, tempDir, testServer, type TestServer, waitForSeq } from './helpers.js'

const servers: TestServer[] = []
const clients: SsbClient[] = []
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {})
  for (const s of servers.splice(0).reverse()) await s.stop()
  for (const f of cleanups.splice(0)) await f()
})

async function start(config: Record<string, unknown> = {}): Promise<TestServer> {
  const t = await testServer(config)
  servers.push(t)
  return t
}

/** The owner's client over the unix socket (master rights). */
async function owner(t: TestServer): Promise<SsbClient> {
  const c = await connectClient({ kind: 'unix', path: join(t.dir, 'socket') }, { keys: t.keys, manifest: t.server.manifest() })
  clients.push(c)
  return c
}

/** A TCP + SHS client of `t` with any key (a stranger, or an invite guest). */
async function peer(t: TestServer, keys: Keys): Promise<SsbClient> {
  const c = await connectClient({ kind: 'net', host: '127.0.0.1', port: t.port, key: t.keys.id }, { keys, manifest: t.server.manifest() })
  clients.push(c)
  return c
}

async function contents(t: TestServer, feed: string): Promise<Array<Record<string, unknown>>> {
  const msgs = (await collect(t.server.db.createHistoryStream({ id: feed }))) as Array<{ value: { content: Record<string, unknown> } }>
  return msgs.map((m) => m.value.content)
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a rejection')
}

describe('invites between our servers', () => {
  test('uses 2: two guests get in, the third is refused; after accepting, feeds replicate both ways', async () => {
    const pub = await start({ allowPrivate: true })
    const [g1, g2, g3] = [await start(), await start(), await start()]
    const code = (await (await owner(pub)).rpc.call('invite.create', [{ uses: 2, note: 'book club' }])) as string
    expect(code).toMatch(new RegExp(`^127\\.0\\.0\\.1:${pub.port}:${pub.keys.id.replace(/[+/.]/g, '\\$&')}~[A-Za-z0-9+/]{43}=$`))

    const accepted = (await (await owner(g1)).rpc.call('invite.accept', [code])) as Array<{ value: { author: string; content: unknown } }>
    expect(accepted.map((m) => m.value.content)).toEqual([
      { type: 'contact', following: true, autofollow: true, contact: pub.keys.id },
      { type: 'pub', address: { host: '127.0.0.1', port: pub.port, key: pub.keys.id } },
    ])
    expect(accepted.every((m) => m.value.author === g1.keys.id)).toBe(true)
    // The guest connected with the seed key; the pub followed g1's real id with the note.
    expect(await contents(pub, pub.keys.id)).toEqual([{ type: 'contact', contact: g1.keys.id, following: true, pub: true, note: 'book club' }])

    // g1 dialled the pub with its own key right after: replication both ways.
    await g1.server.db.publish({ type: 'post', text: 'hello pub' })
    await waitForSeq(pub, g1.keys.id, 3)
    await pub.server.db.publish({ type: 'post', text: 'welcome' })
    await waitForSeq(g1, pub.keys.id, 2)
    expect((await contents(g1, pub.keys.id)).map((c) => c.type)).toEqual(['contact', 'post'])

    await (await owner(g2)).rpc.call('invite.accept', [`"${code}"`]) // quoted, as the JS CLI prints it
    const third = await rejection((await owner(g3)).rpc.call('invite.accept', [code]))
    expect(third.message).toMatch(/invite not accepted: invite has expired/)
    expect(await contents(g3, g3.keys.id)).toEqual([])
    const pubFollows = (await contents(pub, pub.keys.id)).filter((c) => c.type === 'contact').map((c) => c.contact)
    expect(pubFollows).toEqual([g1.keys.id, g2.keys.id])
    expect(pub.server.status()).toMatchObject({ invite: { invites: 1, usable: 0 } })
  }, 30_000)

  test('strangers, repeat uses, non-owners and bad arguments are refused; nothing is published', async () => {
    const pub = await start({ allowPrivate: true })
    const admin = await owner(pub)
    const one = (await admin.rpc.call('invite.create', [1])) as string
    const two = (await admin.rpc.call('invite.create', [{ uses: 2 }])) as string
    const feed = generateKeys().id
    const other = generateKeys().id

    const stranger = await peer(pub, generateKeys())
    expect((await rejection(stranger.rpc.call('invite.use', [{ feed }]))).message).toMatch(/only invite guests/)
    expect((await rejection(stranger.rpc.call('invite.create', [1]))).message).toMatch(/not in list of allowed|not allowed|permission/i)

    const guest1 = await peer(pub, guestKeys(parseInviteCode(one).seed))
    expect((await rejection(guest1.rpc.call('invite.use', [{}]))).message).toMatch(/feed to follow is missing/)
    expect((await rejection(guest1.rpc.call('invite.use', [{ feed: 'nope' }]))).message).toMatch(/expected a feed id/)
    expect((await rejection(guest1.rpc.call('invite.create', [1]))).message).toMatch(/not in list of allowed|not allowed|permission/i)
    expect((await rejection(guest1.rpc.call('invite.accept', [two]))).message).toMatch(/not in list of allowed|not allowed|permission/i)
    const msg = (await guest1.rpc.call('invite.use', [{ feed }])) as { value: { author: string; content: unknown } }
    expect(msg.value).toMatchObject({ author: pub.keys.id, content: { type: 'contact', contact: feed, following: true, pub: true } })
    expect((await rejection(guest1.rpc.call('invite.use', [{ feed: other }]))).message).toMatch(/invite has expired/)

    const guest2 = await peer(pub, guestKeys(parseInviteCode(two).seed))
    expect((await rejection(guest2.rpc.call('invite.use', [{ feed }]))).message).toMatch(/already following/)
    await guest2.rpc.call('invite.use', [{ feed: other }]) // the refusal above was not counted
    const third = generateKeys().id
    await guest2.rpc.call('invite.use', [{ feed: third }])
    expect((await rejection(guest2.rpc.call('invite.use', [{ feed: generateKeys().id }]))).message).toMatch(/invite has expired/)

    expect((await contents(pub, pub.keys.id)).map((c) => c.contact)).toEqual([feed, other, third])
  }, 30_000)

  test('invite.create: needs a public address unless allowPrivate; external overrides the host; options are checked', async () => {
    const strict = await start()
    const admin = await owner(strict)
    expect((await rejection(admin.rpc.call('invite.create', [1]))).message).toMatch(/Server has no public ip address|no address available/)
    const code = (await admin.rpc.call('invite.create', [{ uses: 3, external: 'pub.example.com' }])) as string
    expect(parseInviteCode(code)).toMatchObject({ host: 'pub.example.com', port: strict.port, key: strict.keys.id })
    expect((await rejection(admin.rpc.call('invite.create', [{ uses: 0, external: 'pub.example.com' }]))).message).toMatch(/uses must be/)
    expect((await rejection(admin.rpc.call('invite.create', [{ external: 'a b' }]))).message).toMatch(/external/)
    expect((await rejection(admin.rpc.call('invite.create', ['x']))).message).toMatch(/expected a number/)
    expect((await rejection(admin.rpc.call('invite.create', [{ external: 'pub.example.com', modern: true }]))).message).toMatch(/ws/)
  })

  test('modern (ws) invites: one use, dialled over WebSocket', async () => {
    const pub = await start({ allowPrivate: true, ws: { port: 0 } })
    const g1 = await start()
    const code = (await (await owner(pub)).rpc.call('invite.create', [{ modern: true, uses: 5 }])) as string
    const parsed = parseInviteCode(code)
    expect(parsed).toMatchObject({ transport: 'ws', host: '127.0.0.1', key: pub.keys.id })
    expect(parsed.port).toBe(pub.server.wsPort)
    const accepted = (await (await owner(g1)).rpc.call('invite.accept', [code])) as Array<{ value: { content: unknown } }>
    expect(accepted[1]!.value.content).toEqual({ type: 'pub', address: { host: 'ws://127.0.0.1', port: pub.server.wsPort, key: pub.keys.id } })
    expect(await contents(pub, pub.keys.id)).toEqual([{ type: 'contact', contact: g1.keys.id, following: true, pub: true }])
    expect(pub.server.status()).toMatchObject({ invite: { invites: 1, usable: 0 } }) // modern: always one use
  })

  test('invite.accept: a bogus code and a pub that hangs give clear errors and publish nothing', async () => {
    const me = await start({ timers: { handshake: 300 } })
    const admin = await owner(me)
    expect((await rejection(admin.rpc.call('invite.accept', ['hello']))).message).toMatch(/not an invite code/)
    expect((await rejection(admin.rpc.call('invite.accept', [42]))).message).toMatch(/expected an invite code/)

    const sockets = new Set<Socket>()
    const hang = createServer((s) => {
      sockets.add(s)
      s.on('error', () => {})
    })
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve))
    cleanups.push(async () => {
      for (const s of sockets) s.destroy()
      await new Promise((r) => hang.close(r))
    })
    const port = (hang.address() as { port: number }).port
    const code = `127.0.0.1:${port}:${generateKeys().id}~${Buffer.alloc(32, 7).toString('base64')}`
    const err = await rejection(admin.rpc.call('invite.accept', [code]))
    expect(err.message).toMatch(/could not connect to the pub .*3 attempts/)
    expect(sockets.size).toBe(3)
    expect(await contents(me, me.keys.id)).toEqual([])
  }, 20_000)

  test('the invite table survives a restart', async () => {
    const { dir, cleanup } = await tempDir()
    cleanups.push(cleanup)
    const keys = generateKeys()
    const port = await freePort()
    const config = { path: dir, keys, host: '127.0.0.1', port, allowPrivate: true, logging: { level: 'error' } }
    let pubServer = await startServer(config, { logger: silentLogger })
    const admin = await connectClient({ kind: 'unix', path: join(dir, 'socket') }, { keys, manifest: pubServer.manifest() })
    const code = (await admin.rpc.call('invite.create', [{ uses: 2 }])) as string
    await admin.close()
    const g1 = await start()
    const g2 = await start()
    const g3 = await start()
    await (await owner(g1)).rpc.call('invite.accept', [code])
    await pubServer.close()

    pubServer = await startServer(config, { logger: silentLogger })
    try {
      await (await owner(g2)).rpc.call('invite.accept', [code])
      expect((await rejection((await owner(g3)).rpc.call('invite.accept', [code]))).message).toMatch(/invite has expired/)
      const follows = (await collect(pubServer.db.createHistoryStream({ id: keys.id }))) as unknown as Array<{ value: { content: { contact: string } } }>
      expect(follows.map((m) => m.value.content.contact)).toEqual([g1.keys.id, g2.keys.id])
    } finally {
      for (const c of clients.splice(0)) await c.close().catch(() => {})
      await pubServer.close()
    }
  }, 30_000)
})

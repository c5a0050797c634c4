import { randomBytes, createHash } from 'node:crypto'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { connectClient, type SsbClient } from '@ssb/server'
import { collect, testServer, type TestServer } from './helpers.js'

const open: Array<TestServer | SsbClient> = []
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await ('stop' in x ? x.stop() : x.close())
})

async function start(): Promise<TestServer> {
  const t = await testServer()
  open.push(t)
  return t
}

async function local(t: TestServer): Promise<SsbClient> {
  const c = await connectClient({ kind: 'unix', path: join(t.dir, 'socket') }, { keys: t.keys })
  open.push(c)
  return c
}

function address(t: TestServer): string {
  return `net:127.0.0.1:${t.port}~shs:${t.keys.public.replace(/\.ed25519$/, '')}`
}

function blobId(bytes: Uint8Array): string {
  return '&' + createHash('sha256').update(bytes).digest('base64') + '.sha256'
}

describe('blobs over RPC and between servers', () => {
  test('add, has, size, get, getSlice, ls, rm', async () => {
    const a = await start()
    const c = await local(a)
    const bytes = randomBytes(200_000)
    const id = blobId(bytes)
    await c.rpc.sink('blobs.add', [], [bytes.subarray(0, 100_000), bytes.subarray(100_000)])
    expect(await c.rpc.call('blobs.has', [id])).toBe(true)
    expect(await c.rpc.call('blobs.size', [id])).toBe(200_000)
    const chunks = (await collect(c.rpc.source('blobs.get', [id]))) as Uint8Array[]
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true)
    const slice = (await collect(c.rpc.source('blobs.getSlice', [{ id, start: 10, end: 20 }]))) as Uint8Array[]
    expect(Buffer.concat(slice).equals(bytes.subarray(10, 20))).toBe(true)
    expect(await collect(c.rpc.source('blobs.ls', [{}]))).toContain(id)
    await c.rpc.call('blobs.rm', [id])
    expect(await c.rpc.call('blobs.has', [id])).toBe(false)
  })

  test('a blob over 5 MiB is refused; a wrong expected id stores nothing', async () => {
    const a = await start()
    const c = await local(a)
    const big = new Uint8Array(5 * 1024 * 1024 + 1)
    async function* trickle(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < big.length; at += 65536) {
        await new Promise((r) => setImmediate(r))
        yield big.subarray(at, at + 65536)
      }
    }
    // One chunk, or a stream that is still sending when the server refuses: either way the caller
    // is told why (the server stops reading at the limit; it must not answer "done" first).
    for (const source of [[big], trickle()]) {
      await expect(c.rpc.sink('blobs.add', [], source)).rejects.toMatchObject({ message: 'blob exceeds the 5242880-byte limit' })
    }
    expect(await c.rpc.call('blobs.has', [blobId(big)])).toBe(false)
    const small = randomBytes(10)
    const other = blobId(randomBytes(10))
    await expect(c.rpc.sink('blobs.add', [other], [small])).rejects.toMatchObject({ message: `content hashes to ${blobId(small)}, expected ${other}` })
    expect(await c.rpc.call('blobs.has', [blobId(small)])).toBe(false)
    await expect(collect(c.rpc.source('blobs.get', [other]))).rejects.toMatchObject({ message: `blob not found: ${other}` })
  })

  test('blobs.want fetches from a connected peer that has it', async () => {
    const a = await start()
    const b = await start()
    const bytes = randomBytes(300_000)
    const id = blobId(bytes)
    await (await local(a)).rpc.sink('blobs.add', [], [bytes])
    await b.server.connect(address(a))
    expect(await (await local(b)).rpc.call('blobs.want', [id])).toBe(true)
    const got = (await collect((await local(b)).rpc.source('blobs.get', [id]))) as Uint8Array[]
    expect(Buffer.concat(got).equals(bytes)).toBe(true)
  })
})

describe('private messages', () => {
  test('publish with recps stores ciphertext; the recipient reads it after replication, a third party cannot', async () => {
    const a = await start()
    const b = await start()
    const c = await start()
    for (const x of [b, c]) await x.server.db.publish({ type: 'contact', contact: a.keys.id, following: true })
    const ca = await local(a)
    const msg = (await ca.rpc.call('publish', [{ type: 'post', text: 'secret', recps: [a.keys.id, b.keys.id] }])) as {
      key: string
      value: { content: unknown }
    }
    expect(typeof msg.value.content).toBe('string')
    expect(msg.value.content as string).toMatch(/\.box$/)
    expect(await ca.rpc.call('private.unbox', [msg.value.content])).toMatchObject({ type: 'post', text: 'secret' })

    for (const x of [b, c]) {
      const arrived = new Promise<void>((resolve) => {
        const off = x.server.db.onMessage((kvt) => {
          if (kvt.key === msg.key) {
            off()
            resolve()
          }
        })
      })
      await x.server.connect(address(a))
      if (!x.server.db.feedState(a.keys.id)) await arrived
    }
    const cb = await local(b)
    const readable = (await cb.rpc.call('get', [{ id: msg.key, private: true }])) as { content: { text: string } }
    expect(readable.content.text).toBe('secret')
    const raw = (await cb.rpc.call('get', [msg.key])) as { content: unknown }
    expect(raw.content).toBe(msg.value.content)
    const cc = await local(c)
    const unreadable = (await cc.rpc.call('get', [{ id: msg.key, private: true }])) as { content: unknown }
    expect(unreadable.content).toBe(msg.value.content)
  })
})

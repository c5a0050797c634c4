import { createServer, type Socket } from 'node:net'
import { generateKeys, toBase64 } from '@ssb/keys'
import { afterEach, describe, expect, test } from 'vitest'
import { acceptInvite, formatLegacyInvite, guestKeys, InviteError, parseInviteCode } from '../src/index.js'
import { mainNetCaps } from '@ssb/shs'
import { startTestPub, type TestPub } from './test-pub.js'

const caps = mainNetCaps()
const me = generateKeys()
let pub: TestPub | undefined
afterEach(async () => {
  await pub?.close()
  pub = undefined
})

async function errorOf(p: Promise<unknown>): Promise<InviteError> {
  try {
    await p
  } catch (err) {
    if (err instanceof InviteError) return err
    throw err
  }
  throw new Error('expected a rejection')
}

/** A TCP port that accepts connections and never says a word (a stuck or fake pub). */
async function silentPort(): Promise<{ port: number; accepted: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  let accepted = 0
  const server = createServer((s) => {
    accepted++
    sockets.add(s)
    s.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    accepted: () => accepted,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((r) => server.close(r))
    },
  }
}

describe('acceptInvite', () => {
  test('connects as the seed-derived guest, not as us, and asks the pub to follow our id', async () => {
    pub = await startTestPub()
    const code = await pub.invite(1)
    const res = await acceptInvite(code, { keys: me, caps })
    const guest = guestKeys(parseInviteCode(code).seed).id
    expect(pub.peers).toEqual([guest])
    expect(res.reply).toEqual({ guest, feed: me.id, used: 1 })
    expect(res.pub).toEqual({ transport: 'net', host: '127.0.0.1', port: pub.port, key: pub.keys.id })
    expect(res.remote).toBe(`net:127.0.0.1:${pub.port}~shs:${pub.keys.public.replace(/\.ed25519$/, '')}`)
  })

  test("a pub's refusal is INVITE_REJECTED with its message, and is not retried", async () => {
    pub = await startTestPub()
    const code = await pub.invite(1)
    await acceptInvite(code, { keys: me, caps })
    const err = await errorOf(acceptInvite(code, { keys: me, caps }))
    expect(err.code).toBe('INVITE_REJECTED')
    expect(err.message).toMatch(/invite has expired/)
    expect(pub.connections).toBe(2)
  })

  test('a code the pub never issued is refused', async () => {
    pub = await startTestPub()
    const forged = formatLegacyInvite({ host: '127.0.0.1', port: pub.port, key: pub.keys.id }, new Uint8Array(32).fill(9))
    const err = await errorOf(acceptInvite(forged, { keys: me, caps }))
    expect(err.code).toBe('INVITE_REJECTED')
    expect(err.message).toMatch(/no invite for/)
  })

  test('nobody listening: three attempts, then INVITE_CONNECT_FAILED', async () => {
    const silent = await silentPort()
    const port = silent.port
    await silent.close() // now closed: connections are refused
    const code = formatLegacyInvite({ host: '127.0.0.1', port, key: generateKeys().id }, new Uint8Array(32))
    const err = await errorOf(acceptInvite(code, { keys: me, caps, retryDelayMs: 10 }))
    expect(err.code).toBe('INVITE_CONNECT_FAILED')
    expect(err.message).toMatch(/3 attempts/)
  })

  test('a port that accepts and hangs times out per attempt', async () => {
    const silent = await silentPort()
    try {
      const code = formatLegacyInvite({ host: '127.0.0.1', port: silent.port, key: generateKeys().id }, new Uint8Array(32))
      const err = await errorOf(acceptInvite(code, { keys: me, caps, timeoutMs: 200, retryDelayMs: 10, retries: 2 }))
      expect(err.code).toBe('INVITE_CONNECT_FAILED')
      expect(silent.accepted()).toBe(2)
    } finally {
      await silent.close()
    }
  })

  test('another network key cannot connect', async () => {
    pub = await startTestPub(new Uint8Array(32).fill(1))
    const code = await pub.invite(1)
    const err = await errorOf(acceptInvite(code, { keys: me, caps, retries: 1 }))
    expect(err.code).toBe('INVITE_CONNECT_FAILED')
    expect(pub.table.get(guestKeys(parseInviteCode(code).seed).id)?.used).toBe(0)
  })

  test('abort, bad codes, unsupported transports and bad options', async () => {
    const silent = await silentPort()
    try {
      const code = formatLegacyInvite({ host: '127.0.0.1', port: silent.port, key: generateKeys().id }, new Uint8Array(32))
      const ctl = new AbortController()
      setTimeout(() => ctl.abort(), 50)
      expect((await errorOf(acceptInvite(code, { keys: me, caps, signal: ctl.signal }))).code).toBe('INVITE_ABORTED')
    } finally {
      await silent.close()
    }
    expect((await errorOf(acceptInvite('not a code', { keys: me, caps }))).code).toBe('INVITE_BAD_CODE')
    const key = generateKeys().public.replace(/\.ed25519$/, '')
    const ws = `ws://127.0.0.1:1~shs:${key}:${toBase64(new Uint8Array(32))}`
    expect((await errorOf(acceptInvite(ws, { keys: me, caps }))).code).toBe('INVITE_UNSUPPORTED_TRANSPORT')
    expect((await errorOf(acceptInvite(ws, { keys: { id: 'me' as never }, caps }))).code).toBe('INVITE_BAD_OPTIONS')
  })
})

import { generateKeys, type Keys } from '@ssb/keys'
import { expect, test } from 'vitest'
import { MAX_BEACON_BYTES, MAX_LOCAL_PEERS, startLan, type Lan, type LanOptions } from '../src/index.js'

// Every packet in this file goes to 127.255.255.255 (the loopback broadcast address) or stays
// in-process: nothing leaves the machine.
const BROADCAST = '127.255.255.255'
const ms = (k: Keys, port: number) => `net:127.0.0.1:${port}~shs:${k.public.replace(/\.ed25519$/, '')}`

function node(keys: Keys, opts: LanOptions) {
  const heard: string[] = []
  const expired: string[] = []
  let announce: string | null = ms(keys, 9000)
  return {
    heard,
    expired,
    silence: () => (announce = null),
    start: () =>
      startLan(
        { ownId: keys.id, address: () => announce, onPeer: (address) => heard.push(address), onExpire: (key) => expired.push(key) },
        opts,
      ),
  }
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}

test('two nodes on the loopback broadcast address hear each other, not themselves, and expire', async () => {
  const [ka, kb] = [generateKeys(), generateKeys()]
  const lans: Lan[] = []
  try {
    const a = node(ka, { port: 0, broadcastAddress: BROADCAST, bindAddress: BROADCAST, intervalMs: 50, expiryMs: 400 })
    const lanA = await a.start()
    lans.push(lanA)
    const b = node(kb, { port: lanA.port, broadcastAddress: BROADCAST, bindAddress: BROADCAST, intervalMs: 50, expiryMs: 400 })
    const lanB = await b.start()
    lans.push(lanB)
    expect(lanB.port).toBe(lanA.port)
    await until(() => a.heard.length > 0 && b.heard.length > 0)
    expect(a.heard).toEqual([ms(kb, 9000)])
    expect(b.heard).toEqual([ms(ka, 9000)])
    expect(lanA.peers().map((p) => p.key)).toEqual([kb.id])
    b.silence()
    await until(() => a.expired.length > 0)
    expect(a.expired).toEqual([kb.id])
    expect(lanA.peers()).toEqual([])
  } finally {
    await Promise.all(lans.map((l) => l.close()))
  }
})

test('hostile datagrams: oversized, garbage, own key and a flood of keys are bounded', async () => {
  const me = generateKeys()
  const n = node(me, { port: 0, broadcastAddress: BROADCAST, bindAddress: BROADCAST, intervalMs: 60_000 })
  n.silence()
  const lan = await n.start()
  try {
    lan.receive(new TextEncoder().encode('x'.repeat(MAX_BEACON_BYTES + 1)))
    lan.receive(new Uint8Array([0xff, 0xfe, 0x00, 0x01]))
    lan.receive(new TextEncoder().encode('net:1.2.3.4:8008~shs:nope'))
    lan.receive(new TextEncoder().encode(ms(me, 1234)))
    expect(n.heard).toEqual([])
    const k = generateKeys()
    const legacy = `127.0.0.1:8008:${k.id}`
    lan.receive(new TextEncoder().encode(legacy))
    lan.receive(new TextEncoder().encode(legacy))
    expect(n.heard).toEqual([legacy])
    for (let i = 0; i < MAX_LOCAL_PEERS * 3; i++) lan.receive(new TextEncoder().encode(ms(generateKeys(), 8008)))
    expect(lan.peers()).toHaveLength(MAX_LOCAL_PEERS)
  } finally {
    await lan.close()
  }
})

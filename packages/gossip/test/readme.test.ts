import { generateKeys } from '@ssb/keys'
import { expect, test } from 'vitest'
import { parseAddress, PeerTable, Scheduler } from '../src/index.js'

test('README example', async () => {
  const log: unknown[] = []
  const console = { log: (...args: unknown[]) => log.push(args) }
  // --- README ---
  const pub = generateKeys()
  const key = pub.public.replace(/\.ed25519$/, '')
  const a = parseAddress(`net:fe80::1:8008~shs:${key}`)
  console.log(a.transport, a.host, a.port, a.key === pub.id) // net fe80::1 8008 true
  console.log(parseAddress(`pub.example.com:8008:${pub.id}`).address) // net:pub.example.com:8008~shs:<key>

  const table = new PeerTable({ ownId: generateKeys().id, maxPeers: 1000 })
  table.add({ host: '10.0.0.5', port: 8008, key: pub.id }, 'pub')
  const scheduler = new Scheduler(
    {
      table,
      dial: async (peer, signal) => {
        // open a connection to peer.address here (server.connect); reject on failure or abort
        console.log('dialling', peer.address === `net:10.0.0.5:8008~shs:${key}`, signal.aborted) // dialling true false
      },
      disconnect: () => {},
    },
    { connections: 3 },
  )
  scheduler.tick()
  await new Promise((resolve) => setImmediate(resolve))
  console.log(table.get(pub.id)?.state) // connected
  // --- end ---
  expect(log).toEqual([
    ['net', 'fe80::1', 8008, true],
    [`net:pub.example.com:8008~shs:${key}`],
    ['dialling', true, false],
    ['connected'],
  ])
})

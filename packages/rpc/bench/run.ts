// Async round-trips and source throughput between two @ssb/rpc connections over loopback TCP.
// Prints a table and writes bench-results/rpc.json at the repo root. Never fails on time.
import { mkdirSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { createRpc, type Api, type RpcConnection } from '@ssb/rpc'

const manifest = { echo: 'async', items: 'source', chunks: 'source' } as const
const api: Api = {
  echo: ([x]) => x,
  items: async function* ([n]) {
    for (let i = 0; i < (n as number); i++) yield { seq: i, author: '@iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=.ed25519' }
  },
  chunks: async function* ([n]) {
    const chunk = new Uint8Array(64 * 1024).fill(7)
    for (let i = 0; i < (n as number); i++) yield chunk
  },
}

async function connect(): Promise<{ client: RpcConnection; server: RpcConnection; close: () => Promise<void> }> {
  const srv = net.createServer({ allowHalfOpen: true })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const accepted = once(srv, 'connection') as Promise<[net.Socket]>
  const sock = net.connect({ port: (srv.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true })
  await once(sock, 'connect')
  const [srvSock] = await accepted
  // Frames are written whole, but Nagle still delays the last segment of a burst.
  sock.setNoDelay(true)
  srvSock.setNoDelay(true)
  const server = createRpc({ stream: srvSock, api }, { manifest, context: { remoteId: '@client' } })
  const client = createRpc({ stream: sock }, { manifest: {}, remoteManifest: manifest, context: { remoteId: '@server' } })
  return {
    client,
    server,
    close: async () => {
      await client.close()
      await server.whenClosed()
      srv.close()
    },
  }
}

interface Row {
  name: string
  ops: number
  seconds: number
  perSecond: number
  unit: string
}

const ROUNDS = 3

/** Best of ROUNDS: the machine is shared, so the fastest round is the least disturbed one. */
async function measure(name: string, unit: string, ops: number, fn: () => Promise<void>): Promise<Row> {
  let best = Infinity
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = performance.now()
    await fn()
    best = Math.min(best, (performance.now() - t0) / 1000)
  }
  return { name, ops, seconds: Number(best.toFixed(3)), perSecond: Math.round(ops / best), unit }
}

const { client, close } = await connect()
// warm up
for (let i = 0; i < 2000; i++) await client.call('echo', [i])

const rows: Row[] = []
const SEQ = 10_000
rows.push(
  await measure('async round-trip, one at a time', 'calls/s', SEQ, async () => {
    for (let i = 0; i < SEQ; i++) await client.call('echo', [i])
  }),
)
const PAR = 50_000
rows.push(
  await measure('async, 500 in flight', 'calls/s', PAR, async () => {
    let next = 0
    await Promise.all(
      Array.from({ length: 500 }, async () => {
        while (next < PAR) await client.call('echo', [next++])
      }),
    )
  }),
)
const ITEMS = 200_000
rows.push(
  await measure('source, small JSON items', 'items/s', ITEMS, async () => {
    let n = 0
    for await (const _ of client.source('items', [ITEMS])) n++
    if (n !== ITEMS) throw new Error(`got ${n}`)
  }),
)
const CHUNKS = 2000
const binary = await measure('source, 64 KiB binary chunks', 'chunks/s', CHUNKS, async () => {
  let n = 0
  for await (const _ of client.source('chunks', [CHUNKS])) n++
  if (n !== CHUNKS) throw new Error(`got ${n}`)
})
rows.push(binary)
await close()

console.table(rows.map((r) => ({ ...r })))
console.log(`binary throughput: ${((binary.perSecond * 64) / 1024).toFixed(0)} MiB/s`)
const outDir = new URL('../../../bench-results/', import.meta.url)
mkdirSync(outDir, { recursive: true })
writeFileSync(
  new URL('rpc.json', outDir),
  JSON.stringify({ package: '@ssb/rpc', node: process.version, date: new Date().toISOString(), results: rows }, null, 2) + '\n',
)

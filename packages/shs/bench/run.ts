// SHS handshakes per second: both roles on bytes in one process (no I/O), and full
// client+server handshakes over TCP loopback (new connection each). Prints a table and
// writes bench-results/shs.json. Each figure includes the work of BOTH sides.
import { once } from 'node:events'
import { mkdirSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import sodium from 'sodium-native'
import { createClientHandshake, createServerHandshake, shsClient, shsServer, type LongTermKeys } from '../src/index.js'

function keypair(): LongTermKeys {
  const publicKey = Buffer.alloc(32)
  const secretKey = Buffer.alloc(64)
  sodium.crypto_sign_keypair(publicKey, secretKey)
  return { publicKey, secretKey }
}

const caps = Buffer.alloc(32, 7)
const serverKeys = keypair()
const clientKeys = keypair()

async function onBytes(count: number): Promise<number> {
  const t = performance.now()
  for (let i = 0; i < count; i++) {
    const client = createClientHandshake({ keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps })
    const server = createServerHandshake({ keys: serverKeys, caps })
    const msg3 = client.receiveMsg2(server.receiveMsg1(client.createMsg1()))
    const { msg4 } = await server.receiveMsg3(msg3)
    client.receiveMsg4(msg4)
  }
  return count / ((performance.now() - t) / 1000)
}

async function overTcp(count: number, concurrency: number): Promise<number> {
  const listener = net.createServer({ allowHalfOpen: true }, (socket) => {
    shsServer(socket, { keys: serverKeys, caps }).then(
      (conn) => conn.stream.on('error', () => {}).end(),
      () => {},
    )
  })
  listener.listen(0, '127.0.0.1')
  await once(listener, 'listening')
  const port = (listener.address() as net.AddressInfo).port
  let started = 0
  const worker = async (): Promise<void> => {
    while (started < count) {
      started++
      const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
      const conn = await shsClient(socket, { keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps })
      conn.stream.on('error', () => {})
      conn.stream.end()
      conn.stream.resume()
      await once(conn.stream, 'close')
    }
  }
  const t = performance.now()
  await Promise.all(Array.from({ length: concurrency }, worker))
  const rate = count / ((performance.now() - t) / 1000)
  await new Promise<void>((resolve) => listener.close(() => resolve()))
  return rate
}

const RUNS = 3
const best = async (run: () => Promise<number>): Promise<number> => {
  let top = 0
  for (let i = 0; i < RUNS; i++) top = Math.max(top, await run())
  return Math.round(top)
}

await onBytes(200) // warm-up
const bytes = await best(() => onBytes(2000))
await overTcp(100, 1) // warm-up
const tcpSerial = await best(() => overTcp(500, 1))
const tcpParallel = await best(() => overTcp(1000, 16))

const results = {
  node: process.version,
  runs: RUNS,
  statistic: 'best of runs; each handshake counts the CPU of both client and server',
  onBytesHandshakesPerSec: bytes,
  tcpSequentialHandshakesPerSec: tcpSerial,
  tcp16ConcurrentHandshakesPerSec: tcpParallel,
}
console.table({
  'on bytes (client + server, no I/O)': { 'handshakes/s': bytes },
  'TCP loopback, one at a time (connect + handshake + close)': { 'handshakes/s': tcpSerial },
  'TCP loopback, 16 concurrent': { 'handshakes/s': tcpParallel },
})
const dir = fileURLToPath(new URL('../../../bench-results/', import.meta.url))
mkdirSync(dir, { recursive: true })
writeFileSync(`${dir}shs.json`, JSON.stringify(results, null, 2) + '\n')

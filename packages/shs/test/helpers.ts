import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import sodium from 'sodium-native'
import type { LongTermKeys } from '../src/index.js'

export interface ShsVector {
  networkKey: string
  client: { seed: string; publicKey: string; ephemeralSecretKey: string; ephemeralPublicKey: string }
  server: { seed: string; publicKey: string; ephemeralSecretKey: string; ephemeralPublicKey: string }
  msg1: string
  msg2: string
  sharedSecretAb: string
  msg3: string
  msg4: string
  clientToServer: { key: string; nonce: string }
  serverToClient: { key: string; nonce: string }
}

export const vector: ShsVector = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../interop/vectors/shs.json', import.meta.url)), 'utf8'),
) as ShsVector

export const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
export const toHex = (u8: Uint8Array): string => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('hex')

export function keysFromSeed(seed: Uint8Array = randomSeed()): LongTermKeys {
  const publicKey = Buffer.alloc(32)
  const secretKey = Buffer.alloc(64)
  sodium.crypto_sign_seed_keypair(publicKey, secretKey, Buffer.from(seed))
  return { publicKey: new Uint8Array(publicKey), secretKey: new Uint8Array(secretKey) }
}

export function randomSeed(): Uint8Array {
  const seed = Buffer.alloc(32)
  sodium.randombytes_buf(seed)
  return new Uint8Array(seed)
}

export function randomCaps(): Uint8Array {
  return randomSeed()
}

export interface Listener {
  port: number
  server: net.Server
  /** Resolves with the next accepted socket. */
  accept(): Promise<net.Socket>
  connect(): net.Socket
  close(): Promise<void>
}

/** A TCP listener on 127.0.0.1:0 whose accepted sockets are queued for accept(). */
export async function listen(): Promise<Listener> {
  const server = net.createServer({ allowHalfOpen: true })
  const queue: net.Socket[] = []
  const waiters: ((s: net.Socket) => void)[] = []
  const sockets = new Set<net.Socket>()
  server.on('connection', (s) => {
    sockets.add(s)
    // Tests provoke resets on purpose; assertions look at the handshake results instead.
    s.on('error', () => {})
    const w = waiters.shift()
    if (w) w(s)
    else queue.push(s)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    server,
    accept: () => new Promise((resolve) => {
      const s = queue.shift()
      if (s) resolve(s)
      else waiters.push(resolve)
    }),
    connect: () => {
      const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
      s.on('error', () => {})
      sockets.add(s)
      return s
    },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Everything a socket receives until it ends or closes. */
export async function collect(socket: net.Socket): Promise<Buffer> {
  const parts: Buffer[] = []
  socket.on('data', (d: Buffer) => parts.push(d))
  await new Promise<void>((resolve) => {
    socket.once('end', resolve)
    socket.once('close', resolve)
  })
  return Buffer.concat(parts)
}

/** Reads exactly n bytes from a raw socket (rejects if it ends first). */
export function readExactly(socket: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const onReadable = (): void => {
      const chunk = socket.read(n) as Buffer | null
      if (chunk === null) return
      cleanup()
      if (chunk.length < n) reject(new Error(`ended after ${chunk.length} of ${n} bytes`))
      else resolve(chunk)
    }
    const onEnd = (): void => {
      cleanup()
      reject(new Error('ended'))
    }
    const cleanup = (): void => {
      socket.off('readable', onReadable)
      socket.off('end', onEnd)
      socket.off('close', onEnd)
    }
    socket.on('readable', onReadable)
    socket.on('end', onEnd)
    socket.on('close', onEnd)
    onReadable()
  })
}

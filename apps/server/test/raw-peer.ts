// A misbehaving peer for bad-input tests: raw TCP sockets, handshakes done by hand with
// @ssb/shs, and RPC frames written/read directly (no muxrpc), so a test can send anything.
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { generateKeys, type Keys } from '@ssb/keys'
import { encodeFrame, FrameDecoder, type Frame } from '@ssb/rpc'
import { mainNetCaps, shsClient } from '@ssb/shs'

/** Bound for "the server closes a bad connection": generous, a healthy server takes milliseconds. */
export const CLOSE_BOUND_MS = 3_000

/** Rejects if `promise` does not settle within `ms` (a bound, not a wait: it resolves as soon as `promise` does). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)
  })
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer))
}

/**
 * Resolves when the server ends its side (FIN; the socket is half-open because box-stream needs
 * allowHalfOpen) or the socket closes. On FIN we close our side too.
 */
function serverHungUp(socket: Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    socket.once('end', () => {
      socket.destroy()
      resolve()
    })
    socket.once('close', () => resolve())
  })
}

export interface RawSocket {
  socket: Socket
  /** Bytes the server sent us so far. */
  received(): number
  /** Resolves when the socket is closed (by either side). */
  closed: Promise<void>
}

/** A plain TCP connection; nothing is read or written by the helper except counting bytes. */
export async function rawSocket(port: number): Promise<RawSocket> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true })
  socket.on('error', () => {}) // a reset by the server is an expected outcome here
  const closed = serverHungUp(socket)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    closed.then(() => reject(new Error('socket closed before connect')), () => {})
  })
  let received = 0
  socket.on('data', (d: Buffer) => (received += d.length))
  return { socket, received: () => received, closed }
}

export interface RawSession {
  socket: Socket
  /** Plaintext side of the box stream (write RPC bytes here). */
  stream: Duplex
  closed: Promise<void>
  /** The next frame (from the server) whose req matches; rejects if the connection closes first. */
  nextFrame(req: number): Promise<Frame>
  /** Send one RPC frame. */
  send(frame: Frame): void
  destroy(): void
}

/**
 * A completed SHS handshake with the server (as `keys`, default a fresh stranger key). When
 * `read` is false the plaintext side is never consumed, so the server's writes back up.
 */
export async function rawSession(
  port: number,
  serverKeys: Keys,
  opts: { keys?: Keys; read?: boolean } = {},
): Promise<RawSession> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true })
  socket.on('error', () => {})
  const closed = serverHungUp(socket)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    closed.then(() => reject(new Error('socket closed before connect')), () => {})
  })
  const { stream } = await shsClient(socket, {
    keys: opts.keys ?? generateKeys(),
    serverPublicKey: serverKeys.publicKey,
    caps: mainNetCaps(),
  })
  stream.on('error', () => {}) // the server dropping us is what several tests expect
  const frames: Frame[] = []
  const waiters = new Set<() => void>()
  if (opts.read !== false) {
    const decoder = new FrameDecoder()
    stream.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) if (f !== 'GOODBYE') frames.push(f as Frame)
      for (const w of [...waiters]) w()
    })
  }
  let isClosed = false
  void closed.then(() => {
    isClosed = true
    for (const w of [...waiters]) w()
  })
  return {
    socket,
    stream,
    closed,
    send: (frame) => void stream.write(encodeFrame(frame)),
    nextFrame: (req) =>
      new Promise<Frame>((resolve, reject) => {
        const check = (): void => {
          const i = frames.findIndex((f) => f.req === req)
          if (i !== -1) {
            waiters.delete(check)
            resolve(frames.splice(i, 1)[0]!)
          } else if (isClosed) {
            waiters.delete(check)
            reject(new Error(`connection closed before a frame for req ${req}`))
          }
        }
        waiters.add(check)
        check()
      }),
    destroy: () => void socket.destroy(),
  }
}

/** A 9-byte RPC header with arbitrary fields (for lengths and types the encoder would never produce). */
export function rpcHeader(flags: number, length: number, req: number): Uint8Array {
  const h = Buffer.alloc(9)
  h[0] = flags
  h.writeUInt32BE(length >>> 0, 1)
  h.writeInt32BE(req | 0, 5)
  return h
}

export function garbage(n: number): Uint8Array {
  return randomBytes(n)
}

import { once } from 'node:events'
import net from 'node:net'
import { Duplex } from 'node:stream'
import { createRpc, type Api, type Logger, type Manifest, type RpcConnection, type RpcOptions } from '../src/index.js'

/** A connected pair of plain TCP sockets on 127.0.0.1. */
export async function tcpPair(): Promise<[net.Socket, net.Socket, () => Promise<void>]> {
  const server = net.createServer({ allowHalfOpen: true })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  const accepted = once(server, 'connection') as Promise<[net.Socket]>
  const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  await once(client, 'connect')
  const [serverSide] = await accepted
  const cleanup = async (): Promise<void> => {
    client.destroy()
    serverSide.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return [client, serverSide, cleanup]
}

/** End of an in-memory pipe that honours backpressure: writes wait while the reader is behind. */
class PipeEnd extends Duplex {
  peer!: PipeEnd
  #pendingWrite: (() => void) | null = null

  constructor(highWaterMark?: number) {
    super({ allowHalfOpen: true, ...(highWaterMark === undefined ? {} : { highWaterMark }) })
  }

  override _read(): void {
    const cb = this.peer.#pendingWrite
    this.peer.#pendingWrite = null
    cb?.()
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.peer.destroyed) return cb()
    if (this.peer.push(chunk)) cb()
    else this.#pendingWrite = () => cb()
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.peer.destroyed) this.peer.push(null)
    cb()
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.peer.destroyed) this.peer.destroy()
    cb(err)
  }
}

export function duplexPair(highWaterMark?: number): [Duplex, Duplex] {
  const a = new PipeEnd(highWaterMark)
  const b = new PipeEnd(highWaterMark)
  a.peer = b
  b.peer = a
  return [a, b]
}

export interface Recorded {
  level: string
  msg: string
  ctx?: object
}

export function recordingLogger(into: Recorded[] = []): Logger {
  const log = (level: string) => (msg: string, ctx?: object) => void into.push({ level, msg, ...(ctx ? { ctx } : {}) })
  const logger: Logger = { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug'), child: () => logger }
  return logger
}

export type Transport = 'tcp' | 'memory'

export interface PairOptions {
  manifest: Manifest
  apiA?: Api
  apiB?: Api
  optsA?: Partial<RpcOptions>
  optsB?: Partial<RpcOptions>
}

export interface Pair {
  a: RpcConnection
  b: RpcConnection
  streams: [Duplex, Duplex]
  cleanup: () => Promise<void>
}

/** Two connections talking over TCP loopback or an in-memory pipe. */
export async function connectPair(transport: Transport, o: PairOptions): Promise<Pair> {
  let sa: Duplex
  let sb: Duplex
  let closeTransport: () => Promise<void> = async () => {}
  if (transport === 'tcp') [sa, sb, closeTransport] = await tcpPair()
  else [sa, sb] = duplexPair()
  const a = createRpc({ stream: sa, api: o.apiA ?? {} }, { manifest: o.manifest, context: { remoteId: '@b' }, ...o.optsA })
  const b = createRpc({ stream: sb, api: o.apiB ?? {} }, { manifest: o.manifest, context: { remoteId: '@a' }, ...o.optsB })
  const cleanup = async (): Promise<void> => {
    await Promise.all([a.close(new Error('test over')), b.close(new Error('test over'))])
    await closeTransport()
  }
  return { a, b, streams: [sa, sb], cleanup }
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

export async function* fromArray<T>(xs: T[]): AsyncGenerator<T> {
  for (const x of xs) yield x
}

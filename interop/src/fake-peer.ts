// A scripted SSB peer built from our own @ssb/shs + @ssb/rpc (no replication logic of its own),
// for tests that need a peer to misbehave on purpose or to speak only part of the protocol:
// it serves whatever handlers the test gives it and can also dial a server.
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { generateKeys, type Keys } from '@ssb/keys'
import { createRpc, type Api, type Manifest, type RpcConnection } from '@ssb/rpc'
import { mainNetCaps, shsClient, shsServer } from '@ssb/shs'
import { parseNetAddress } from '@ssb/server'
import { fromBase64 } from '@ssb/keys'

export interface FakePeer {
  keys: Keys
  id: string
  port: number
  /** `net:127.0.0.1:PORT~shs:KEY` */
  address: string
  /** Every RPC connection so far (accepted and dialled), in order. */
  connections: RpcConnection[]
  /** Resolves with the next connection (accepted or dialled). */
  nextConnection(): Promise<RpcConnection>
  /** Dial a server (`net:host:port~shs:key`) with SHS and attach RPC. */
  dial(address: string): Promise<RpcConnection>
  close(): Promise<void>
}

export interface FakePeerOptions {
  keys?: Keys
  manifest: Manifest
  api: Api
}

export async function startFakePeer(opts: FakePeerOptions): Promise<FakePeer> {
  const keys = opts.keys ?? generateKeys()
  const caps = mainNetCaps()
  const connections: RpcConnection[] = []
  const sockets = new Set<Socket>()
  const waiters: Array<(c: RpcConnection) => void> = []

  const attach = (stream: Duplex, remoteId: string): RpcConnection => {
    const rpc = createRpc({ stream, api: opts.api }, { manifest: opts.manifest, context: { remoteId } })
    connections.push(rpc)
    waiters.splice(0).forEach((w) => w(rpc))
    return rpc
  }
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.once('close', () => sockets.delete(socket))
  }

  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    track(socket)
    shsServer(socket, { keys, caps })
      .then(({ stream, remoteId }) => attach(stream, remoteId))
      .catch(() => socket.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as { port: number }).port

  return {
    keys,
    id: keys.id,
    port,
    address: `net:127.0.0.1:${port}~shs:${keys.public.replace(/\.ed25519$/, '')}`,
    connections,
    nextConnection: () => new Promise((resolve) => waiters.push(resolve)),
    async dial(address) {
      const target = parseNetAddress(address, fromBase64)
      if (!target) throw new Error(`bad address ${address}`)
      const socket = await new Promise<Socket>((resolve, reject) => {
        const s = netConnect({ host: target.host, port: target.port, allowHalfOpen: true })
        s.once('error', reject)
        s.once('connect', () => resolve(s))
      })
      track(socket)
      const { stream, remoteId } = await shsClient(socket, { keys, serverPublicKey: target.key, caps })
      return attach(stream, remoteId)
    },
    async close() {
      await Promise.allSettled(connections.map((c) => c.close(new Error('fake peer closing'))))
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** An async queue: push items from anywhere, iterate them once; end() finishes the iteration. */
export class Channel<T> implements AsyncIterable<T> {
  #items: T[] = []
  #wake: (() => void) | undefined
  #ended = false

  push(item: T): void {
    this.#items.push(item)
    this.#wake?.()
  }

  end(): void {
    this.#ended = true
    this.#wake?.()
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      while (this.#items.length > 0) yield this.#items.shift()!
      if (this.#ended) return
      await new Promise<void>((resolve) => (this.#wake = resolve))
      this.#wake = undefined
    }
  }
}

/** Resolves with the first item of `input` that satisfies `match`, recording everything read. */
export async function readUntil(
  iterator: AsyncIterator<unknown>,
  seen: unknown[],
  match: (frame: unknown) => boolean,
): Promise<unknown> {
  for (;;) {
    const r = await iterator.next()
    if (r.done) throw new Error('stream ended before the expected frame')
    seen.push(r.value)
    if (match(r.value)) return r.value
  }
}

/** EBT v3 note (protocol.md §9.2): seq·2, +1 when the sender does not want to receive; -1 = stop. */
export function ebtNote(seq: number, receive: boolean): number {
  return seq === -1 ? -1 : seq * 2 + (receive ? 0 : 1)
}

/** epidemic-broadcast-trees' test for a message frame (anything else is a notes frame). */
export function isMessageFrame(frame: unknown): boolean {
  const m = frame as { sequence?: unknown; author?: unknown; content?: unknown } | null
  return !!m && typeof m === 'object' && Number.isInteger(m.sequence) && (m.sequence as number) > 0 && typeof m.author === 'string' && !!m.content
}

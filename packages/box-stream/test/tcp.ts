import { once } from 'node:events'
import net from 'node:net'
import { adoptWithReads, connectWithReads, type SocketReads } from '../src/index.js'

export interface SocketPair {
  client: net.Socket
  server: net.Socket
  /** The SocketReads of each end made with `reads` (none otherwise). */
  reads: Map<net.Socket, SocketReads>
  close(): Promise<void>
}

/**
 * Two ends of a real TCP connection on 127.0.0.1. With `reads`, both ends read into reused
 * buffers (SocketReads: the client dialled with `onread`, the accepted socket adopted).
 */
export async function socketPair(allowHalfOpen = true, reads = false): Promise<SocketPair> {
  const listener = net.createServer({ allowHalfOpen, pauseOnConnect: reads })
  listener.listen(0, '127.0.0.1')
  await once(listener, 'listening')
  const { port } = listener.address() as net.AddressInfo
  const accepted = once(listener, 'connection') as Promise<[net.Socket]>
  const readsOf = new Map<net.Socket, SocketReads>()
  let client: net.Socket
  if (reads) {
    const dialled = connectWithReads({ port, host: '127.0.0.1', allowHalfOpen })
    client = dialled.socket
    readsOf.set(client, dialled.reads)
  } else {
    client = net.connect({ port, host: '127.0.0.1', allowHalfOpen })
  }
  await once(client, 'connect')
  let [server] = await accepted
  if (reads) {
    const adopted = adoptWithReads(server)
    if (!adopted.reads) throw new Error('the accepted socket could not be adopted')
    server = adopted.socket
    readsOf.set(server, adopted.reads)
  }
  return {
    client,
    server,
    reads: readsOf,
    async close() {
      client.destroy()
      server.destroy()
      await new Promise<void>((resolve) => listener.close(() => resolve()))
    },
  }
}

import { once } from 'node:events'
import net from 'node:net'

export interface SocketPair {
  client: net.Socket
  server: net.Socket
  close(): Promise<void>
}

/** Two ends of a real TCP connection on 127.0.0.1. */
export async function socketPair(allowHalfOpen = true): Promise<SocketPair> {
  const listener = net.createServer({ allowHalfOpen })
  listener.listen(0, '127.0.0.1')
  await once(listener, 'listening')
  const { port } = listener.address() as net.AddressInfo
  const accepted = once(listener, 'connection') as Promise<[net.Socket]>
  const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen })
  await once(client, 'connect')
  const [server] = await accepted
  return {
    client,
    server,
    async close() {
      client.destroy()
      server.destroy()
      await new Promise<void>((resolve) => listener.close(() => resolve()))
    },
  }
}

import { once } from 'node:events'
import net from 'node:net'
import { createRpc } from '@ssb/rpc'
const manifest = { chunks: 'source' } as const
const srv = net.createServer({ allowHalfOpen: true }); srv.listen(0, '127.0.0.1'); await once(srv, 'listening')
const accepted = once(srv, 'connection') as Promise<[net.Socket]>
const sock = net.connect({ port: (srv.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true }); await once(sock, 'connect')
const [s2] = await accepted
sock.setNoDelay(true); s2.setNoDelay(true)
const server = createRpc({ stream: s2, api: { chunks: async function* ([n]) { const c = new Uint8Array(65536).fill(7); for (let i = 0; i < (n as number); i++) yield c } } }, { manifest, context: { remoteId: '@c' } })
const client = createRpc({ stream: sock }, { manifest: {}, remoteManifest: manifest, context: { remoteId: '@s' } })
const N = 6000; const t0 = Date.now(); let n = 0; let paused = 0
for await (const _ of client.source('chunks', [N])) { n++; if (server.stats().outboundPaused) paused++ }
console.log('chunks/s', Math.round(N / ((Date.now() - t0) / 1000)), 'pausedSeen', paused)
process.exit(0)

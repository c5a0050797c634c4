import { once } from 'node:events'
import net from 'node:net'
import { expect, test } from 'vitest'
import { createRpc, RpcError, type Api } from '../src/index.js'

// The README example, kept runnable here (console.log replaced by expect).
test('README example', async () => {
  const manifest = { whoami: 'sync', count: 'source', get: 'async' } as const
  const api: Api = {
    whoami: (_args, call) => ({ id: call.remoteId }),
    count: async function* ([n], call) {
      for (let i = 0; i < Number(n) && !call.signal.aborted; i++) yield i
    },
    get: ([key]) => {
      throw new RpcError('NOT_FOUND', `not found: ${String(key)}`, { expose: true })
    },
  }

  // Serve the api on every incoming socket (after SHS + box-stream in a real server).
  const server = net.createServer((socket) => {
    createRpc({ stream: socket, api }, { manifest, context: { remoteId: '@client.ed25519' } })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')

  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
  await once(socket, 'connect')
  const rpc = createRpc({ stream: socket }, { manifest: {}, remoteManifest: manifest, context: { remoteId: '@server.ed25519' } })

  expect(await rpc.call('whoami')).toEqual({ id: '@client.ed25519' })
  const counted: unknown[] = []
  for await (const n of rpc.source('count', [3])) counted.push(n)
  expect(counted).toEqual([0, 1, 2])
  await expect(rpc.remote.get('%x')).rejects.toMatchObject({ code: 'RPC_REMOTE_ERROR', message: 'not found: %x' })

  await rpc.close() // ends our streams, exchanges goodbyes, ends the socket
  expect(await rpc.whenClosed()).toBeUndefined()
  server.close()
})

// A minimal pub for the guest-side tests: real TCP on 127.0.0.1, real SHS and RPC, a real
// InviteTable; invite.use answers with what it counted instead of publishing a message.
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeys, type Keys } from '@ssb/keys'
import { createRpc, RpcError, type CallInfo } from '@ssb/rpc'
import { mainNetCaps, shsServer } from '@ssb/shs'
import { formatLegacyInvite, openInviteTable, type InviteTable } from '../src/index.js'

export interface TestPub {
  keys: Keys
  port: number
  table: InviteTable
  /** TCP connections accepted so far. */
  connections: number
  /** Ids that completed the handshake. */
  peers: string[]
  invite(uses?: number): Promise<string>
  close(): Promise<void>
}

export async function startTestPub(caps = mainNetCaps()): Promise<TestPub> {
  const dir = await mkdtemp(join(tmpdir(), 'ssb-invite-pub-'))
  const keys = generateKeys()
  const table = await openInviteTable(join(dir, 'invites.json'))
  const sockets = new Set<Socket>()
  const pub: TestPub = {
    keys,
    port: 0,
    table,
    connections: 0,
    peers: [],
    async invite(uses = 1) {
      const { seed } = await table.create({ uses })
      return formatLegacyInvite({ host: '127.0.0.1', port: pub.port, key: keys.id }, seed)
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(resolve))
      await table.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
  const server: Server = createServer((socket) => {
    pub.connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    shsServer(socket, { keys, caps })
      .then(({ stream, remoteId }) => {
        pub.peers.push(remoteId)
        createRpc(
          {
            stream,
            api: {
              invite: {
                use: async (args: unknown[], call: CallInfo) => {
                  const feed = (args[0] as { feed?: unknown } | undefined)?.feed
                  try {
                    const record = await table.use(call.remoteId)
                    return { guest: call.remoteId, feed, used: record.used }
                  } catch (err) {
                    throw new RpcError('REFUSED', (err as Error).message, { expose: true })
                  }
                },
              },
            },
          },
          { manifest: { invite: { use: 'async' } }, context: { remoteId } },
        )
      })
      .catch(() => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  pub.port = (server.address() as { port: number }).port
  return pub
}

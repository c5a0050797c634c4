import { connect as netConnect } from 'node:net'
import type { Duplex } from 'node:stream'
import { connectWithReads, type SocketWithReads } from '@ssb/box-stream'
import { feedIdToPublicKey, fromBase64, type Keys } from '@ssb/keys'
import { createRpc, type Manifest, type RpcConnection } from '@ssb/rpc'
import { mainNetCaps, shsClient } from '@ssb/shs'
import { whenConnected } from './util.js'

export type ClientTarget =
  | { kind: 'unix'; path: string }
  | { kind: 'net'; host: string; port: number; key: string /* @feed id or bare b64 */ }

export interface ClientOptions {
  keys: Keys
  /** The server's manifest (e.g. from `{path}/manifest.json`); when absent it is fetched with `manifest`. */
  manifest?: Manifest
  caps?: string
  handshakeTimeoutMs?: number
  signal?: AbortSignal
}

async function connectSocket(target: ClientTarget): Promise<SocketWithReads> {
  const dialled: SocketWithReads = target.kind === 'unix' ? { socket: netConnect(target.path) } : connectWithReads({ host: target.host, port: target.port, noDelay: true })
  await whenConnected(dialled.socket)
  return dialled
}

/**
 * Connects to a server as a client (the CLI, tests, apps): over the unix socket without a
 * handshake, or over TCP with SHS using `keys` (the server's own key gets master rights).
 */
export async function connectClient(target: ClientTarget, opts: ClientOptions): Promise<SsbClient> {
  const { socket, reads } = await connectSocket(target)
  let stream: Duplex = socket
  let remoteId = opts.keys.id
  if (target.kind === 'net') {
    const key = target.key.startsWith('@') ? target.key : `@${target.key}.ed25519`
    const conn = await shsClient(socket, {
      ...(reads ? { reads } : {}),
      keys: opts.keys,
      serverPublicKey: feedIdToPublicKey(key),
      caps: opts.caps ? fromBase64(opts.caps) : mainNetCaps(),
      timeoutMs: opts.handshakeTimeoutMs ?? 5000,
      ...(opts.signal ? { signal: opts.signal } : {}),
    })
    stream = conn.stream
    remoteId = conn.remoteId
  }
  const rpc = createRpc({ stream }, { manifest: {}, remoteManifest: opts.manifest ?? { manifest: 'sync' }, context: { remoteId } })
  const manifest = opts.manifest ?? ((await rpc.call('manifest', [])) as Manifest)
  return { rpc, manifest, close: () => rpc.close() }
}

export interface SsbClient {
  /** Call any method by name: `rpc.call('whoami')`, `rpc.source('createLogStream', [{}])`. */
  rpc: RpcConnection
  manifest: Manifest
  close(): Promise<void>
}

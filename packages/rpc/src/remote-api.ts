import { RpcError } from './errors.js'
import type { Manifest, RemoteApi, RpcConnection, Streamable } from './types.js'

/** Proxies for the remote manifest: `remote.blobs.has(id)` → `connection.call(['blobs','has'], [id])`. */
export function buildRemoteApi(manifest: Manifest, conn: RpcConnection, path: string[] = []): RemoteApi {
  const out: RemoteApi = {}
  for (const key of Object.keys(manifest)) {
    const entry = manifest[key]!
    const p = [...path, key]
    if (typeof entry === 'object' && entry !== null) {
      out[key] = buildRemoteApi(entry, conn, p)
      continue
    }
    switch (entry) {
      case 'async':
      case 'sync':
        out[key] = (...args: unknown[]) => conn.call(p, args)
        break
      case 'source':
        out[key] = (...args: unknown[]) => conn.source(p, args)
        break
      case 'sink':
        out[key] = (...args: unknown[]) => (input: Streamable) => conn.sink(p, args, input)
        break
      case 'duplex':
        out[key] = (...args: unknown[]) => (input: Streamable) => conn.duplex(p, args, input)
        break
      default:
        throw new RpcError('RPC_BAD_API', `remote manifest entry ${p.join('.')} has unknown type ${String(entry)}`)
    }
  }
  return out
}

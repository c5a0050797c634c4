// Starts OUR server (@ssb/server) in this process for interop tests: its own temp dir, 127.0.0.1,
// a free port, no unix socket, silent logger. The identity is created by the server in
// `{dir}/secret` (ssb-keys 8 layout), so tests can read it back with ssb-keys.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger, startServer, type ServerConfig, type SsbServer } from '@ssb/server'
import type { SsbKeysJSON } from './reference.js'

export interface OurServer {
  server: SsbServer
  /** `@….ed25519` */
  id: string
  /** The server's key as ssb-keys JSON (`{curve, public, private, id}`). */
  keys: SsbKeysJSON
  port: number
  dir: string
  /** `net:127.0.0.1:PORT~shs:KEY` */
  address: string
  /** `{dir}/manifest.json` as the server wrote it. */
  manifest: Record<string, unknown>
  stop(): Promise<void>
}

export async function startOurServer(config: Partial<ServerConfig> = {}): Promise<OurServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ssb-ours-'))
  let server: SsbServer
  try {
    server = await startServer(
      { path: dir, host: '127.0.0.1', port: 0, unixSocket: false, logging: { level: 'error' }, ...config },
      { logger: silentLogger },
    )
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const k = server.keys
  const pub = k.public.replace(/\.ed25519$/, '')
  let stopping: Promise<void> | undefined
  return {
    server,
    id: server.id,
    keys: { curve: k.curve, public: k.public, private: k.private, id: k.id },
    port: server.port!,
    dir,
    address: `net:127.0.0.1:${server.port}~shs:${pub}`,
    manifest: JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>,
    stop() {
      stopping ??= server.close().finally(() => rmSync(dir, { recursive: true, force: true }))
      return stopping
    },
  }
}

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeys, type Keys } from '@ssb/keys'
import { silentLogger, startServer, type ServerConfig, type SsbServer } from '@ssb/server'

export async function tempDir(prefix = 'ssb-server-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

export { freePort } from '@ssb/vitest-config/free-port'

export interface TestServer {
  server: SsbServer
  dir: string
  keys: Keys
  port: number
  stop(): Promise<void>
}

/** A server on 127.0.0.1 with a fresh identity in its own temp dir. */
export async function testServer(config: Partial<ServerConfig> = {}): Promise<TestServer> {
  const { dir, cleanup } = await tempDir()
  const keys = config.keys ?? generateKeys()
  const server = await startServer(
    { path: dir, keys, host: '127.0.0.1', port: 0, logging: { level: 'error' }, ...config },
    { logger: silentLogger },
  )
  return {
    server,
    dir,
    keys,
    port: server.port!,
    stop: async () => {
      await server.close()
      await cleanup()
    },
  }
}

export async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of iter) out.push(x)
  return out
}

/** Resolves when the server has `feed` up to `seq` (checked on every appended message). */
export function waitForSeq(t: TestServer, feed: string, seq: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (t.server.db.feedState(feed)?.sequence ?? 0) >= seq
    if (check()) return resolve()
    const off = t.server.db.onMessage(() => {
      if (check()) {
        off()
        resolve()
      }
    })
  })
}

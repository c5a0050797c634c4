// The two servers and two clients the benchmark combines: our server (a child process) and the
// JavaScript ssb-server 16 (interop harness), our client (@ssb/server connectClient) and
// ssb-client 4.9. Every client is reduced to `call(name, args)` + `close()`.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { keysFromJSON, type Keys } from '@ssb/keys'
import { connectClient, CORE_MANIFEST } from '../src/index.js'
import { call, closeClient, connectClient as connectSsbClient } from '../../../interop/src/client.js'
import { startReference, type SsbKeysJSON } from '../../../interop/src/reference.js'

export interface BenchServer {
  name: string
  port: number
  id: string
  keys: SsbKeysJSON
  manifest: object
  stop(): Promise<void>
}

export interface BenchClient {
  call(name: string, args?: unknown[]): Promise<unknown>
  close(): Promise<void>
}

export type ClientKind = 'ours' | 'ssb-client'

const here = dirname(fileURLToPath(import.meta.url))

/** Our server in a child process (node --import tsx), stopped by closing its stdin. */
export async function startOurs(): Promise<BenchServer> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', '--conditions=@ssb/source', join(here, 'ours-child.ts')], {
    cwd: join(here, '..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const exited = once(child, 'exit')
  const lines = createInterface({ input: child.stdout! })
  const first = await Promise.race([
    once(lines, 'line').then(([l]) => String(l)),
    exited.then(([code]) => {
      throw new Error(`our server exited during start (code ${String(code)})`)
    }),
  ])
  lines.close()
  const info = JSON.parse(first) as { port: number; id: string; keys: SsbKeysJSON }
  return {
    name: 'ours',
    port: info.port,
    id: info.id,
    keys: info.keys,
    manifest: CORE_MANIFEST,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.stdin!.end()
      await exited
    },
  }
}

export async function startJs(): Promise<BenchServer> {
  const ref = await startReference()
  return {
    name: 'ssb-server 16',
    port: ref.port,
    id: ref.id,
    keys: ref.keys,
    manifest: JSON.parse(readFileSync(join(ref.dir, 'manifest.json'), 'utf8')) as object,
    stop: () => ref.stop(),
  }
}

/** A client authenticated as the server's own key (master rights, like the CLI). */
export async function connect(server: BenchServer, kind: ClientKind, keys?: Keys): Promise<BenchClient> {
  if (kind === 'ours') {
    const c = await connectClient(
      { kind: 'net', host: '127.0.0.1', port: server.port, key: server.id },
      { keys: keys ?? keysFromJSON(server.keys), manifest: server.manifest as never },
    )
    return { call: (name, args = []) => c.rpc.call(name, args), close: () => c.close() }
  }
  const c = await connectSsbClient({
    remote: `net:127.0.0.1:${server.port}~shs:${server.keys.public.replace(/\.ed25519$/, '')}`,
    keys: server.keys,
    manifest: server.manifest,
  })
  return { call: (name, args = []) => call(c, name, ...args), close: () => closeClient(c) }
}

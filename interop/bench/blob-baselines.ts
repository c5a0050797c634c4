// Baselines for bench/blobs.ts:
//  - OUR server as a user runs it (`ssb-server start` from apps/cli/dist) in a process of its own,
//    so that a transfer between two of ours spreads over two processes as ref→ref does;
//  - the raw speeds a blob transfer cannot beat: writing the bytes to a file with fsync (what
//    storing a blob has to do) and sending them over TCP loopback from another Node process
//    (no encryption, no framing).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Keys, parseSecretFile } from '@ssb/keys'
import { connectClient, type SsbClient } from '@ssb/server'
import { freePorts } from '../src/reference.js'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

export interface OurProcess {
  pid: number
  dir: string
  address: string
  client: SsbClient
  stop(): Promise<void>
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

let built = false

/** `ssb-server start` (built CLI) on its own temp dir, 127.0.0.1 and free ports; a unix-socket client as master. */
export async function startOurProcess(): Promise<OurProcess> {
  if (!built) {
    const r = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@ssb/cli', '--output-logs=errors-only'], { cwd: repoRoot, stdio: 'inherit' })
    if (r.status !== 0) throw new Error('building @ssb/cli failed')
    built = true
  }
  const dir = mkdtempSync(join(tmpdir(), 'ssb-bench-proc-'))
  const [port, wsPort] = (await freePorts(2)) as [number, number]
  const child: ChildProcess = spawn(
    process.execPath,
    [join(repoRoot, 'apps/cli/dist/bin.js'), 'start', '--path', dir, '--host', '127.0.0.1', '--port', String(port), '--ws.port', String(wsPort), '--no-gossip.local', '--logging.level=error'],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, HOME: dir } },
  )
  const exited = once(child, 'exit')
  let client: SsbClient | undefined
  let keys: Keys | undefined
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`ssb-server start exited with ${child.exitCode}`)
    try {
      keys ??= parseSecretFile(readFileSync(join(dir, 'secret'), 'utf8'))
      client = await connectClient({ kind: 'unix', path: join(dir, 'socket') }, { keys })
      return true
    } catch {
      return false
    }
  }, 'our server process')
  return {
    pid: child.pid!,
    dir,
    address: `net:127.0.0.1:${port}~shs:${keys!.public.replace(/\.ed25519$/, '')}`,
    client: client!,
    async stop() {
      await client!.close().catch(() => {})
      if (child.exitCode === null) child.kill('SIGINT')
      await exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Stores `bytes` durably under a new name, the least any crash-safe store must do: 64 KiB writes
 * to a temporary file, fsync, rename, fsync of the folder (without it the new name can vanish
 * in a power cut).
 */
export async function rawDiskWrite(dir: string, bytes: Uint8Array, n: number): Promise<void> {
  const tmp = join(dir, `raw-${n}.tmp`)
  const fh = await open(tmp, 'wx')
  try {
    for (let at = 0; at < bytes.length; at += 64 * 1024) await fh.write(bytes, at, Math.min(64 * 1024, bytes.length - at), at)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, join(dir, `raw-${n}`))
  const folder = await open(dir, 'r')
  try {
    await folder.sync()
  } finally {
    await folder.close()
  }
  await rm(join(dir, `raw-${n}`))
}

// The sender: another Node process that writes `size` bytes in 64 KiB writes on each request.
const SENDER = `
const net = require('node:net')
const sock = net.connect({ host: '127.0.0.1', port: Number(process.argv[1]), noDelay: true })
const block = Buffer.alloc(64 * 1024, 7)
process.on('message', async (size) => {
  for (let sent = 0; sent < size; sent += block.length) {
    const n = Math.min(block.length, size - sent)
    if (!sock.write(n === block.length ? block : block.subarray(0, n))) await new Promise((r) => sock.once('drain', r))
  }
})
process.on('disconnect', () => process.exit(0))
`

export interface RawLoopback {
  /** Resolves once `size` bytes sent by the other process have arrived. */
  receive(size: number): Promise<void>
  stop(): Promise<void>
}

export async function startRawLoopback(): Promise<RawLoopback> {
  const server = net.createServer({ noDelay: true }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  const accepted = once(server, 'connection') as Promise<[net.Socket]>
  const child = spawn(process.execPath, ['-e', SENDER, String((server.address() as net.AddressInfo).port)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  const [sock] = await accepted
  let want = 0
  let got = 0
  let done: (() => void) | null = null
  sock.on('data', (c: Buffer) => {
    got += c.length
    if (done && got >= want) {
      const d = done
      done = null
      d()
    }
  })
  return {
    receive(size) {
      got = 0
      want = size
      const p = new Promise<void>((resolve) => (done = resolve))
      child.send(size)
      return p
    },
    async stop() {
      child.disconnect()
      sock.destroy()
      server.close()
      if (child.exitCode === null) await once(child, 'exit')
    },
  }
}

// Starts and stops an isolated JavaScript ssb-server 16 ("the reference") for interop tests:
// its own temp dir as HOME and --path, its own ports on 127.0.0.1, no LAN gossip, and a log file.
// Only the PID started here is ever signalled.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { freePort, freePorts } from '@ssb/vitest-config/free-port'
import { connectClient, MAIN_NETWORK_CAPS, type SsbClient } from './client.js'

const require = createRequire(import.meta.url)

/** Pause between attempts to connect to the starting server's TCP port. */
export const PORT_POLL_INTERVAL_MS = 25
/** Attempts before giving up (~10 s; a healthy start takes well under 2 s here). */
export const PORT_POLL_ATTEMPTS = 400
/** Time allowed to exit after SIGTERM before SIGKILL. */
export const STOP_GRACE_MS = 5_000

export interface SsbKeysJSON {
  curve: string
  public: string
  private: string
  id: string
}

export interface ReferencePeer {
  /** Feed id of the server, `@….ed25519`. */
  id: string
  keys: SsbKeysJSON
  port: number
  wsPort: number
  /** Temp dir: HOME and --path of the server; removed by stop(). */
  dir: string
  /** `net:127.0.0.1:PORT~shs:KEY` */
  address: string
  pid: number
  /** Server stdout+stderr. */
  logPath: string
  /** SHS network key the server runs with. */
  caps: string
  readLog(): string
  /** ssb-client connected with the server's own key (so with master rights), callback API. */
  client(): Promise<SsbClient>
  /** Close clients from client(), SIGTERM the server, SIGKILL after STOP_GRACE_MS, remove dir. */
  stop(): Promise<void>
}

export interface StartReferenceOptions {
  /** 32-byte seed for the server's key pair (random if omitted). */
  seed?: Uint8Array
  /** SHS network key (default: main network). */
  caps?: string
  /** Extra config, written to `{dir}/config` and passed as `--config`. */
  config?: Record<string, unknown>
}

interface SsbKeysModule {
  generate(curve?: string, seed?: Buffer): SsbKeysJSON
}

// Every server still running, so a test process that exits without stop() does not leak them.
// (If the process is killed instead, parent-watchdog.cjs makes the server exit on its own.)
const running = new Map<number, { child: ChildProcess; dir: string }>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const { child, dir } of running.values()) {
      child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  })
}

export { freePort, freePorts }

function secretFileText(keys: SsbKeysJSON): string {
  // The layout ssb-keys 8 writes (protocol.md §1.2).
  return [
    '# WARNING: Never show this to anyone.',
    '# WARNING: Never edit it or use it on multiple devices at once.',
    '#',
    JSON.stringify(keys, null, 2),
    '#',
    "# The only part of this file that's safe to share is your public name:",
    '#',
    `#   ${keys.id}`,
  ].join('\n')
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => {
      socket.destroy()
      resolve(false)
    })
  })
}

function readLogFile(logPath: string): string {
  return existsSync(logPath) ? readFileSync(logPath, 'utf8') : '(no log)'
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < PORT_POLL_ATTEMPTS; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`ssb-server exited during start (code ${child.exitCode}, signal ${child.signalCode})`)
    }
    if (await canConnect(port)) return
    await delay(PORT_POLL_INTERVAL_MS)
  }
  throw new Error(`ssb-server did not open port ${port} after ${PORT_POLL_ATTEMPTS} attempts`)
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = waitForExit(child)
  child.kill('SIGTERM')
  const timer = new AbortController()
  const inTime = await Promise.race([
    exited.then(() => true),
    delay(STOP_GRACE_MS, false, { signal: timer.signal }).catch(() => false),
  ])
  timer.abort()
  if (!inTime) {
    child.kill('SIGKILL')
    await exited
  }
}

export async function startReference(opts: StartReferenceOptions = {}): Promise<ReferencePeer> {
  if (opts.seed !== undefined && opts.seed.length !== 32) throw new TypeError(`seed must be 32 bytes, got ${opts.seed.length}`)
  const ssbKeys = require('ssb-keys') as SsbKeysModule
  const binPath = require.resolve('ssb-server/bin.js')
  const watchdogPath = fileURLToPath(new URL('./parent-watchdog.cjs', import.meta.url))
  const caps = opts.caps ?? MAIN_NETWORK_CAPS

  const dir = mkdtempSync(join(tmpdir(), 'ssb-ref-'))
  const logPath = join(dir, 'server.log')
  const keys = opts.seed ? ssbKeys.generate('ed25519', Buffer.from(opts.seed)) : ssbKeys.generate('ed25519')
  writeFileSync(join(dir, 'secret'), secretFileText(keys), { mode: 0o400, flag: 'wx' })

  const [port, wsPort] = (await freePorts(2)) as [number, number]
  const args = ['start', '--path', dir, '--host', '127.0.0.1', '--port', String(port), '--ws.port', String(wsPort), '--no-gossip.local']
  if (opts.config !== undefined || opts.caps !== undefined) {
    const configPath = join(dir, 'config')
    const extra = opts.config ?? {}
    const extraCaps = (extra['caps'] ?? {}) as Record<string, unknown>
    writeFileSync(configPath, JSON.stringify({ ...extra, caps: { ...extraCaps, shs: caps } }, null, 2))
    // rc reads ~/.ssb/config, not {path}/config, so name the file explicitly.
    args.push('--config', configPath)
  }

  const logFd = openSync(logPath, 'a')
  let child: ChildProcess
  try {
    child = spawn(process.execPath, ['-r', watchdogPath, binPath, ...args], {
      cwd: dir,
      // No inherited env: a stray ssb_* variable would change the server's config.
      env: { HOME: dir, REFERENCE_TEMP_DIR: dir },
      stdio: ['ignore', logFd, logFd, 'ipc'],
    })
  } finally {
    closeSync(logFd)
  }
  const pid = child.pid
  if (pid === undefined) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error('could not spawn ssb-server')
  }
  installExitHook()
  running.set(pid, { child, dir })
  child.on('error', () => {}) // reported through exit/waitForPort instead

  try {
    await waitForPort(port, child)
  } catch (err) {
    await terminate(child)
    const log = readLogFile(logPath)
    running.delete(pid)
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`${(err as Error).message}\n--- ssb-server log (${logPath}) ---\n${log}`, { cause: err })
  }

  const clients = new Set<SsbClient>()
  let stopping: Promise<void> | undefined
  const pubKey = keys.public.replace(/\.ed25519$/, '')

  return {
    id: keys.id,
    keys: { curve: keys.curve, public: keys.public, private: keys.private, id: keys.id },
    port,
    wsPort,
    dir,
    address: `net:127.0.0.1:${port}~shs:${pubKey}`,
    pid,
    logPath,
    caps,
    readLog: () => readLogFile(logPath),
    async client() {
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as object
      const client = await connectClient({ remote: `net:127.0.0.1:${port}~shs:${pubKey}`, keys, caps, manifest })
      clients.add(client)
      const close = client.close as (...args: unknown[]) => unknown
      client.close = ((...args: unknown[]) => {
        clients.delete(client)
        return close.apply(client, args)
      }) as SsbClient['close']
      return client
    },
    stop() {
      stopping ??= (async () => {
        const diedEarly = child.exitCode !== null || child.signalCode !== null
        // Forced close (muxrpc `close(err, cb)`): a graceful one waits for open live streams.
        await Promise.allSettled([...clients].map((c) => new Promise((resolve) => (c.close as (e: unknown, cb: () => void) => void)(true, () => resolve(undefined)))))
        await terminate(child)
        if (diedEarly) {
          process.stderr.write(`ssb-server ${pid} exited before stop() (code ${child.exitCode}, signal ${child.signalCode})\n${readLogFile(logPath)}\n`)
        }
        running.delete(pid)
        rmSync(dir, { recursive: true, force: true })
      })()
      return stopping
    },
  }
}

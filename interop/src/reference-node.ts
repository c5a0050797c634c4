// A JavaScript ssb-server 16 process that can be SIGKILLed and restarted on the same dir and
// port (fault tests), or started without ssb-ebt (`legacyOnly`, a JS peer that only speaks
// createHistoryStream). Otherwise it runs like src/reference.ts: its own temp dir as HOME and
// --path, 127.0.0.1, no LAN gossip, a log file, and only the PID started here is signalled.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connectClient, MAIN_NETWORK_CAPS, type SsbClient } from './client.js'
import { ssbKeys } from './feed-fixtures.js'
import { freePorts, PORT_POLL_ATTEMPTS, PORT_POLL_INTERVAL_MS, STOP_GRACE_MS, type SsbKeysJSON } from './reference.js'
import { pollUntil } from './wait.js'

const require = createRequire(import.meta.url)

export interface ReferenceNodeOptions {
  /** The server's key pair (random if omitted); use it to pre-sign the server's own messages. */
  keys?: SsbKeysJSON
  /** Run without ssb-ebt: legacy createHistoryStream replication only. */
  legacyOnly?: boolean
  /** Extra config (written to `{dir}/config`, passed with `--config`). */
  config?: Record<string, unknown>
}

export interface ReferenceNode {
  id: string
  keys: SsbKeysJSON
  dir: string
  port: number
  address: string
  logPath: string
  /** PID of the current process (changes on restart). */
  readonly pid: number
  readLog(): string
  /** ssb-client with the server's own key (master rights); closed on kill/stop. */
  client(): Promise<SsbClient>
  /** Signal the current process (only it) and wait for it to exit. The dir is kept. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Start again on the same dir and port (after kill). */
  restart(): Promise<void>
  /** SIGTERM (SIGKILL after STOP_GRACE_MS) and remove the dir. Idempotent. */
  stop(): Promise<void>
}

const running = new Set<ChildProcess>()
let hooked = false
function hookExit(): void {
  if (hooked) return
  hooked = true
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL')
  })
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

function canConnect(port: number): Promise<boolean> {
  return import('node:net').then(
    ({ connect }) =>
      new Promise<boolean>((resolve) => {
        const socket = connect({ port, host: '127.0.0.1' })
        socket.once('connect', () => {
          socket.destroy()
          resolve(true)
        })
        socket.once('error', () => {
          socket.destroy()
          resolve(false)
        })
      }),
  )
}

export async function startReferenceNode(opts: ReferenceNodeOptions = {}): Promise<ReferenceNode> {
  const keys = opts.keys ?? ssbKeys.generate()
  const dir = mkdtempSync(join(tmpdir(), opts.legacyOnly ? 'ssb-ref-legacy-' : 'ssb-ref-node-'))
  const logPath = join(dir, 'server.log')
  writeFileSync(join(dir, 'secret'), JSON.stringify(keys, null, 2), { mode: 0o400, flag: 'wx' })
  const [port, wsPort] = (await freePorts(2)) as [number, number]
  const configPath = join(dir, 'config')
  const extraCaps = (opts.config?.['caps'] ?? {}) as Record<string, unknown>
  writeFileSync(configPath, JSON.stringify({ ...opts.config, caps: { ...extraCaps, shs: MAIN_NETWORK_CAPS } }, null, 2))
  const script = opts.legacyOnly
    ? fileURLToPath(new URL('./legacy-reference.cjs', import.meta.url))
    : require.resolve('ssb-server/bin.js')
  const watchdog = fileURLToPath(new URL('./parent-watchdog.cjs', import.meta.url))
  const args = [
    '-r', watchdog, script,
    ...(opts.legacyOnly ? [] : ['start']),
    '--path', dir, '--host', '127.0.0.1', '--port', String(port), '--ws.port', String(wsPort),
    '--no-gossip.local', '--config', configPath,
  ]
  const pub = keys.public.replace(/\.ed25519$/, '')
  const clients = new Set<SsbClient>()
  let child: ChildProcess | undefined
  let stopping: Promise<void> | undefined
  hookExit()

  const closeClients = () =>
    Promise.allSettled(
      [...clients].map((c) => new Promise((resolve) => (c.close as (e: unknown, cb: () => void) => void)(true, () => resolve(undefined)))),
    ).then(() => clients.clear())

  const spawnServer = async (): Promise<void> => {
    const fd = openSync(logPath, 'a')
    try {
      child = spawn(process.execPath, args, { cwd: dir, env: { HOME: dir, REFERENCE_TEMP_DIR: dir }, stdio: ['ignore', fd, fd, 'ipc'] })
    } finally {
      closeSync(fd)
    }
    const c = child
    c.on('error', () => {})
    running.add(c)
    void exited(c).then(() => running.delete(c))
    try {
      await pollUntil(
        async () => {
          if (c.exitCode !== null || c.signalCode !== null) throw new Error(`ssb-server exited during start (code ${c.exitCode})`)
          return canConnect(port)
        },
        { what: `ssb-server port ${port}`, intervalMs: PORT_POLL_INTERVAL_MS, timeoutMs: PORT_POLL_INTERVAL_MS * PORT_POLL_ATTEMPTS },
      )
    } catch (err) {
      c.kill('SIGKILL')
      await exited(c)
      throw new Error(`${(err as Error).message}\n--- log ---\n${readLog()}`, { cause: err })
    }
  }
  const readLog = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '(no log)')

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    // Signal first (synchronously, so a caller in an event handler kills at that exact point).
    const done = child ? exited(child) : Promise.resolve()
    child?.kill(signal)
    await done
    await closeClients()
  }

  try {
    await spawnServer()
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }

  return {
    id: keys.id,
    keys,
    dir,
    port,
    address: `net:127.0.0.1:${port}~shs:${pub}`,
    logPath,
    get pid() {
      return child!.pid!
    },
    readLog,
    async client() {
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as object
      const client = await connectClient({ remote: `net:127.0.0.1:${port}~shs:${pub}`, keys, manifest })
      clients.add(client)
      return client
    },
    kill,
    restart: spawnServer,
    stop() {
      stopping ??= (async () => {
        await closeClients()
        if (child && child.exitCode === null && child.signalCode === null) {
          const done = exited(child)
          child.kill('SIGTERM')
          const timer = setTimeout(() => child?.kill('SIGKILL'), STOP_GRACE_MS)
          await done
          clearTimeout(timer)
        }
        rmSync(dir, { recursive: true, force: true })
      })()
      return stopping
    },
  }
}

import { join } from 'node:path'
import type { SsbConfig } from '@ssb/config'
import { createLogger, loadPlugins, Server, VERSION, type SsbServer } from '@ssb/server'
import { serverConfig, type CliEnv } from './config.js'
import type { Io } from './io.js'
import type { MallocChoice } from './malloc.js'

export interface StartHandle {
  server: SsbServer
  /** Resolves when the server has been closed by a signal or by stop(). */
  stopped: Promise<void>
  stop(): Promise<void>
}

/** `ssb-server start`: runs the server in the foreground until SIGINT/SIGTERM. */
export async function runStart(
  config: SsbConfig,
  cli: CliEnv,
  io: Io,
  opts: { handleSignals?: boolean; /** What keepFreedMemoryIfFaultsAreCostly chose, for the log. */ malloc?: MallocChoice } = {},
): Promise<StartHandle> {
  const level = String(config.logging?.level ?? 'notice')
  io.out(`ssb-server ${VERSION} ${config.path} logging.level:${level}\n`)
  const logger = createLogger({ level, write: (line) => io.err(line + '\n') })
  if (opts.malloc) logger.info('malloc', { keepFreedMemory: opts.malloc.keep, reason: opts.malloc.reason })
  const resolved = serverConfig(config, cli)
  // Plugins named in config (module paths, or ssb-plugins' { name: true } map) load before the
  // server exists, so the manifest it writes already has their methods.
  const plugins = await loadPlugins(resolved)
  const server = Server({ ...resolved, plugins: undefined }, { logger, plugins })
  io.out(`my key ID: ${server.keys.public}\n`)

  let progressTimer: NodeJS.Timeout | undefined
  let shown = false
  if (io.isTTY && level !== 'info' && level !== 'debug') {
    // One status line, redrawn while indexes rebuild or replication catches up.
    progressTimer = setInterval(() => {
      const line = progressLine(server.progress() as ProgressLike)
      if (line) {
        io.err(`\r${line.padEnd(70)}`)
        shown = true
      } else if (shown) {
        io.err(`\r${'done'.padEnd(70)}\n`)
        shown = false
      }
    }, 250)
    progressTimer.unref()
  }

  try {
    await server.ready()
  } catch (err) {
    if (progressTimer) clearInterval(progressTimer)
    await server.close().catch(() => {})
    throw err
  }
  logger.info('manifest written', { file: join(config.path, 'manifest.json') })
  io.out(`listening on ${server.getAddress('device') ?? 'unix socket only'}\n`)

  let resolveStopped!: () => void
  const stopped = new Promise<void>((r) => (resolveStopped = r))
  let stopping: Promise<void> | undefined
  const stop = () => {
    if (progressTimer) clearInterval(progressTimer)
    stopping ??= server.close().finally(resolveStopped)
    return stopping
  }
  if (opts.handleSignals !== false) {
    let signals = 0
    const onSignal = (sig: NodeJS.Signals) => {
      if (++signals > 1) process.exit(1)
      logger.info('shutting down', { signal: sig })
      void stop().then(
        () => process.exit(0),
        (err) => {
          logger.error('shutdown failed', { err })
          process.exit(1)
        },
      )
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  }
  return { server, stopped, stop }
}

interface Range {
  start: number
  current: number
  target: number
}
interface ProgressLike {
  indexes?: Range
  ebt?: Range
}

function pct(r: Range): number {
  return r.target > r.start ? Math.floor(((r.current - r.start) / (r.target - r.start)) * 100) : 100
}

/** `indexing 42%` / `replicating 1200/5000 messages (24%)`, or null when there is nothing to show. */
export function progressLine(p: ProgressLike): string | null {
  const parts: string[] = []
  if (p.indexes && p.indexes.current < p.indexes.target) parts.push(`indexing ${pct(p.indexes)}%`)
  if (p.ebt && p.ebt.current < p.ebt.target) {
    parts.push(`replicating ${p.ebt.current - p.ebt.start}/${p.ebt.target - p.ebt.start} messages (${pct(p.ebt)}%)`)
  }
  return parts.length ? parts.join(', ') : null
}

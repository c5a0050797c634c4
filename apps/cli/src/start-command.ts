import { join } from 'node:path'
import type { SsbConfig } from '@ssb/config'
import { createLogger, Server, VERSION, type SsbServer } from '@ssb/server'
import { serverConfig, type CliEnv } from './config.js'
import type { Io } from './io.js'

export interface StartHandle {
  server: SsbServer
  /** Resolves when the server has been closed by a signal or by stop(). */
  stopped: Promise<void>
  stop(): Promise<void>
}

/** `ssb-server start`: runs the server in the foreground until SIGINT/SIGTERM. */
export async function runStart(config: SsbConfig, cli: CliEnv, io: Io, opts: { handleSignals?: boolean } = {}): Promise<StartHandle> {
  const level = String(config.logging?.level ?? 'notice')
  io.out(`ssb-server ${VERSION} ${config.path} logging.level:${level}\n`)
  const logger = createLogger({ level, write: (line) => io.err(line + '\n') })
  const server = Server(serverConfig(config, cli), { logger })
  io.out(`my key ID: ${server.keys.public}\n`)

  let progressTimer: NodeJS.Timeout | undefined
  if (io.isTTY && level !== 'info' && level !== 'debug') {
    progressTimer = setInterval(() => {
      const { indexes } = server.progress()
      if (indexes.target > indexes.start && indexes.current < indexes.target) {
        const pct = Math.floor(((indexes.current - indexes.start) / (indexes.target - indexes.start)) * 100)
        io.err(`\rindexing ${String(pct).padStart(3)}% (${indexes.current}/${indexes.target} bytes)`)
      }
    }, 250)
    progressTimer.unref()
  }

  await server.ready()
  if (progressTimer) clearInterval(progressTimer)
  logger.info('manifest written', { file: join(config.path, 'manifest.json') })
  io.out(`listening on ${server.getAddress('device') ?? 'unix socket only'}\n`)

  let resolveStopped!: () => void
  const stopped = new Promise<void>((r) => (resolveStopped = r))
  let stopping: Promise<void> | undefined
  const stop = () => {
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

import { ConfigError } from '@ssb/config'
import { loadConfig, type CliEnv } from './config.js'
import { runClientCommand, CliError } from './client-command.js'
import { keepFreedMemoryIfFaultsAreCostly } from './malloc.js'
import { runStart } from './start-command.js'
import { printHelp, START_USAGE, MAIN_USAGE } from './help.js'
import { processIo, type Io } from './io.js'

/** Runs one CLI invocation; returns the exit code for client commands (start keeps running). */
export async function main(cli: CliEnv, io: Io = processIo): Promise<number | 'running'> {
  const { argv } = cli
  try {
    let command = argv[0]
    if (command === 'server') command = 'start' // deprecated name, as ssb-server accepts it
    if (command === undefined || command === '--help' || command === '-h') {
      io.out(MAIN_USAGE)
      return command === undefined ? 1 : 0
    }
    if (command === 'start') {
      if (argv.includes('--help') || argv.includes('-h')) {
        io.out(START_USAGE)
        return 0
      }
      const config = loadConfig(cli)
      // This process is the server from now on: malloc may keep freed memory (see malloc.ts).
      const malloc = keepFreedMemoryIfFaultsAreCostly(cli.env)
      await runStart(config, cli, io, { malloc })
      return 'running'
    }
    const config = loadConfig(cli)
    if (command === 'config' || command === 'conf') {
      io.out(JSON.stringify(config, null, 2) + '\n')
      return 0
    }
    return await runClientCommand(argv, config, io)
  } catch (err) {
    if (err instanceof CliError) {
      io.err(err.message + '\n')
      return err.exitCode
    }
    if (err instanceof ConfigError) {
      io.err(`config error: ${err.message}\n`)
      return 1
    }
    const e = err as Error & { code?: string }
    io.err(`${e.name === 'RpcError' || e.name === 'Error' ? 'Error' : e.name}: ${e.message}\n`)
    return 1
  }
}

export { printHelp }

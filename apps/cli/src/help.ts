import { coreHelp } from '@ssb/server'
import type { Manifest } from '@ssb/rpc'
import { COMMAND_ALIASES } from './aliases.js'
import type { Io } from './io.js'

interface CommandHelp {
  type: string
  description: string
  args?: Record<string, { type: string; description: string; optional?: boolean }>
}

export const START_USAGE = `Usage: ssb-server start [options]

Runs the server in the foreground with the identity in {path}/secret (created if missing).

Options (any ssb-config key works as --key value, nested keys with dots):
  --path DIR             data directory (default ~/.ssb, or ~/.$ssb_appname)
  --host HOST            listen only on this address (default: all interfaces)
  --port PORT            TCP port for peers and clients (default 8008)
  --ws.port PORT         WebSocket port (default 8989)
  --no-gossip.local      do not discover peers on the local network
  --logging.level LEVEL  error, warn, notice (default), info or debug
`

export const MAIN_USAGE = `Usage: ssb-server <command> [args] [--option value ...]

  ssb-server start [--path DIR] [--port P] [--logging.level=info]   run the server
  ssb-server whoami                                                 your feed id
  ssb-server publish --type post --text "My First Post!"            publish a message
  ssb-server feed | log | hist --id @FEED                           read messages
  ssb-server peers [--json]                                         known peers: address, source, state, failures
  ssb-server invite.create 1 [--note TEXT] [--external HOST]        make an invite code (a pub; needs a public address)
  ssb-server invite.accept CODE                                     join a pub: it follows you, you follow it
  ssb-server <method> [args] [--opts]                               any method of the manifest
  ssb-server help [method]                                          list methods / one method
`

function describe(path: string[]): CommandHelp | undefined {
  const commands = (coreHelp() as { commands: Record<string, CommandHelp> }).commands
  return path.length === 1 ? commands[path[0]!] : undefined
}

function flatten(manifest: Manifest, prefix: string[] = []): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (const [k, v] of Object.entries(manifest)) {
    if (typeof v === 'string') out.push([[...prefix, k].join('.'), v])
    else out.push(...flatten(v, [...prefix, k]))
  }
  return out
}

/** Prints the methods of the manifest, or the arguments of one method. */
export function printHelp(io: Io, manifest: Manifest | undefined, path: string[]): void {
  if (path.length === 1 && path[0] === 'start') return io.out(START_USAGE)
  if (path.length === 0 || !manifest) {
    io.out(MAIN_USAGE)
    if (!manifest) return
    io.out('\nMethods:\n')
    for (const [name, type] of flatten(manifest)) {
      const d = describe(name.split('.'))
      io.out(`  ${name.padEnd(28)} ${type.padEnd(7)} ${d?.description ?? ''}\n`)
    }
    io.out(`\nAliases: ${Object.entries(COMMAND_ALIASES).map(([a, m]) => `${a}=${m}`).join(', ')}\n`)
    return
  }
  const prefix = path.join('.')
  const matches = flatten(manifest).filter(([name]) => name === prefix || name.startsWith(prefix + '.'))
  if (matches.length === 0) return io.out(`unknown command: ${prefix}\n`)
  for (const [name, type] of matches) {
    const d = describe(name.split('.'))
    io.out(`${name} (${type})${d ? ': ' + d.description : ''}\n`)
    for (const [arg, a] of Object.entries(d?.args ?? {})) io.out(`  --${arg.padEnd(12)} ${a.type.padEnd(8)} ${a.description}\n`)
  }
}

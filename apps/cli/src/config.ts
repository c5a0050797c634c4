import { homedir } from 'node:os'
import { resolveConfig, type SsbConfig } from '@ssb/config'
import type { ServerConfig } from '@ssb/server'

export interface CliEnv {
  argv: string[]
  env: Record<string, string | undefined>
  homeDir?: string
  cwd?: string
}

/**
 * Resolves config like ssb-server's bin.js (everything after `--`, or every argument when there
 * is no `--`, is also config), and turns it into what the server reads.
 */
export function loadConfig({ argv, env, homeDir, cwd }: CliEnv): SsbConfig {
  const i = argv.indexOf('--')
  const configArgs = i === -1 ? argv : argv.slice(i + 1)
  return resolveConfig({ argv: configArgs, env, homeDir: homeDir ?? homedir(), cwd: cwd ?? process.cwd() })
}

/**
 * ssb-config derives a listen host from the machine's interfaces when none is configured; we
 * listen on every interface instead (and advertise per scope), and only bind where the user
 * asked to: a host or connections they set themselves survive resolving without interfaces.
 */
export function serverConfig(config: SsbConfig, cli: CliEnv): ServerConfig {
  const i = cli.argv.indexOf('--')
  const explicit = resolveConfig({
    argv: i === -1 ? cli.argv : cli.argv.slice(i + 1),
    env: cli.env,
    homeDir: cli.homeDir ?? homedir(),
    cwd: cli.cwd ?? process.cwd(),
    networkInterfaces: {},
  })
  const net = explicit.connections.incoming.net ?? []
  // ssb-ws is always on in ssb-server 16: ws.port (default 8989), bound like net.
  const ws = explicit.connections.incoming.ws ?? []
  const wsPort = explicit.ws?.port ?? config.ws?.port ?? 8989
  return {
    ...(config as unknown as ServerConfig),
    host: net.length > 0 ? config.host : undefined,
    port: config.port ?? 8008,
    ws: { port: wsPort },
    connections: {
      incoming: {
        net: net.map((e) => ({ host: e.host, port: e.port ?? config.port ?? 8008, scope: e.scope as string | string[] })),
        ws: ws.map((e) => ({ host: e.host, port: e.port ?? wsPort, scope: e.scope as string | string[] })),
        unix: config.connections.incoming.unix ?? [],
      },
    },
  }
}

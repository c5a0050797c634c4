import { createHash } from 'node:crypto'
import { createReadStream, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SsbConfig } from '@ssb/config'
import { parseArgv } from '@ssb/config'
import { loadSecret } from '@ssb/keys'
import { connectClient, manifestEntry, type SsbClient } from '@ssb/server'
import type { Manifest } from '@ssb/rpc'
import { COMMAND_ALIASES } from './aliases.js'
import { printHelp } from './help.js'
import { formatPeers, PEERS_COMMAND, PEERS_METHOD } from './peers.js'
import type { Io } from './io.js'

export class CliError extends Error {
  override name = 'CliError'
  constructor(message: string, readonly exitCode = 1) {
    super(message)
  }
}

function readManifest(path: string): Manifest {
  const file = join(path, 'manifest.json')
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Manifest
  } catch {
    throw new CliError(`no manifest file at ${file} - it is written when the server starts.\nUse the "start" command to start it.`)
  }
}

/** Connects like ssb-client would: the unix socket when the server has one, else TCP + SHS as ourselves. */
async function connect(config: SsbConfig, manifest: Manifest): Promise<SsbClient> {
  const keys = await loadSecret(join(config.path, 'secret')).catch(() => {
    throw new CliError(`no secret file at ${join(config.path, 'secret')}: start the server once to create your identity`)
  })
  const socket = join(config.path, 'socket')
  if (existsSync(socket)) {
    try {
      return await connectClient({ kind: 'unix', path: socket }, { keys, manifest })
    } catch {
      // stale socket file: fall through to TCP
    }
  }
  const host = typeof config.host === 'string' && config.host !== '' && config.host !== '::' && config.host !== '0.0.0.0' ? config.host : 'localhost'
  const port = Number(config.port ?? 8008)
  try {
    return await connectClient({ kind: 'net', host, port, key: keys.id }, { keys, manifest, caps: config.caps.shs })
  } catch (err) {
    throw new CliError(
      `Error: Could not connect to ssb-server ${host}:${port}\nUse the "start" command to start it.` +
        (config['verbose'] ? `\n${(err as Error).stack}` : ''),
    )
  }
}

/** Output as muxrpcli prints it: async results as indented JSON, stream items each followed by a blank line. */
function formatItem(item: unknown): string | Uint8Array {
  if (item instanceof Uint8Array) return item
  return JSON.stringify(item, null, 2) + '\n\n'
}

/** Largest JSON argument read from stdin (a message is at most 8 KiB; queries are small). */
const MAX_STDIN_JSON_BYTES = 16 * 1024 * 1024

async function readJsonArgument(input: AsyncIterable<Uint8Array>): Promise<unknown> {
  const parts: Uint8Array[] = []
  let size = 0
  for await (const chunk of input) {
    size += chunk.byteLength
    if (size > MAX_STDIN_JSON_BYTES) throw new CliError(`the JSON argument on stdin is over ${MAX_STDIN_JSON_BYTES} bytes`)
    parts.push(chunk)
  }
  const text = Buffer.concat(parts).toString('utf8')
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new CliError(`the argument on stdin is not valid JSON: ${(err as Error).message}`)
  }
}

export async function runClientCommand(argv: string[], config: SsbConfig, io: Io): Promise<number> {
  const i = argv.indexOf('--')
  const parsed = parseArgv(i === -1 ? argv : argv.slice(0, i))
  const positional = parsed._.map((x) => x)
  const first = positional[0]
  const wantsHelp = parsed['help'] === true
  const manifest = readManifest(config.path)
  if (first === undefined || first === 'help') {
    printHelp(io, manifest, positional[1] === undefined ? [] : String(positional[1]).split('.'))
    return first === undefined && !wantsHelp ? 1 : 0
  }
  const name = String(first)
  const path = name === PEERS_COMMAND ? PEERS_METHOD : (COMMAND_ALIASES[name] ?? name).split('.')
  if (wantsHelp) {
    printHelp(io, manifest, path)
    return 0
  }
  const type = manifestEntry(manifest, path)
  if (typeof type !== 'string') {
    if (type && typeof type === 'object') {
      printHelp(io, manifest, path)
      return 1
    }
    throw new CliError(`unknown command: ${name} (run \`ssb-server help\` for the list)`)
  }
  const opts: Record<string, unknown> = { ...parsed }
  delete opts._
  let args: unknown[] = positional.slice(1)
  if (Object.keys(opts).length > 0) args.push(opts)
  // As muxrpcli: `… | ssb-server publish .` (or `--`) takes the one argument as JSON from stdin.
  const stdinArg = type !== 'sink' && (positional[1] === '.' || (i !== -1 && positional.length === 1 && argv.length === i + 1))
  if (stdinArg) {
    if (io.stdinIsTTY) throw new CliError(`${name} .: pipe the argument in as JSON, e.g. echo '{"type":"post","text":"hi"}' | ssb-server publish .`)
    args = [await readJsonArgument(io.stdin())]
  }

  if (type === 'sink' && path.join('.') !== 'blobs.add') throw new CliError(`${name} is a sink method and cannot be called from the command line`)
  const client = await connect(config, manifest)
  try {
    if (path.join('.') === 'blobs.add') {
      // Like ssb-server's CLI: `blobs.add FILE` or `... | blobs.add`; prints the new blob's id.
      const file = positional[1] === undefined ? undefined : String(positional[1])
      if (file === undefined && io.stdinIsTTY) throw new CliError('USAGE:\n  blobs.add <filename> # add a file\n  source | blobs.add   # read from stdin')
      const hash = createHash('sha256')
      const input = file === undefined ? io.stdin() : createReadStream(file)
      async function* hashed() {
        for await (const chunk of input as AsyncIterable<Buffer>) {
          hash.update(chunk)
          yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        }
      }
      await client.rpc.sink(path, [], hashed())
      io.out(`&${hash.digest('base64')}.sha256\n`)
    } else if (type === 'async' || type === 'sync') {
      const res = await client.rpc.call(path, args)
      if (name === PEERS_COMMAND && opts['json'] !== true) io.out(formatPeers(res))
      else if (res !== undefined) io.out(JSON.stringify(res, null, 2) + '\n')
    } else if (type === 'source') {
      for await (const item of client.rpc.source(path, args)) await io.write(formatItem(item))
    } else {
      throw new CliError(`${name} is a ${type} method and cannot be called from the command line`)
    }
  } finally {
    await client.close().catch(() => {})
  }
  return 0
}

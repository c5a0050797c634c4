// Runs our server in its own process for the benchmark (so that it does not share an event loop
// with the clients measuring it, just as the reference runs in its own process). Prints one JSON
// line `{ port, id, keys, dir }` once listening; shuts down and removes its temp dir when stdin
// closes (the parent exited or asked) or on SIGTERM.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keysToJSON } from '@ssb/keys'
import { silentLogger, startServer } from '../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'ssb-bench-ours-'))
const server = await startServer({ path: dir, host: '127.0.0.1', port: 0, unixSocket: false }, { logger: silentLogger })
process.stdout.write(JSON.stringify({ port: server.port, id: server.id, keys: keysToJSON(server.keys), dir }) + '\n')

let stopping = false
async function stop(): Promise<void> {
  if (stopping) return
  stopping = true
  await server.close().catch(() => {})
  rmSync(dir, { recursive: true, force: true })
  process.exit(0)
}
process.stdin.on('end', () => void stop())
process.stdin.on('close', () => void stop())
process.stdin.resume()
process.on('SIGTERM', () => void stop())

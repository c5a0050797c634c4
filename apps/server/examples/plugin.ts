// Starts a server with the example #hashtags plugin (./tags-plugin.ts), publishes a few posts and
// calls the plugin's methods in-process and over RPC, like an app would.
//
//   npx tsx --conditions=@ssb/source apps/server/examples/plugin.ts
//
// It works in a fresh temp dir on a free port on 127.0.0.1 and removes the dir at the end.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectClient, createLogger, Server } from '@ssb/server'
import { tagsPlugin } from './tags-plugin.js'

const path = mkdtempSync(join(tmpdir(), 'ssb-plugin-example-'))
const logger = createLogger({ level: 'warning' })

// Server.use(plugin) returns a server constructor with the plugin added (secret-stack style);
// `config.plugins` does the same from a config file.
const server = Server.use(tagsPlugin)({ path, host: '127.0.0.1', port: 0, unixSocket: true }, { logger })
console.log('manifest has tags:', JSON.stringify(server.getManifest().tags))
await server.ready()

try {
  await server.db.publish({ type: 'post', text: 'hello #ssb world' })
  await server.db.publish({ type: 'post', text: 'plugins are #SSB #fun' })
  await server.db.publish({ type: 'vote', text: '#ignored: not a post' })

  // In-process: the methods init() returned.
  const tags = server.plugin<{ count(tag: string): Promise<number> }>('tags')!
  console.log('in-process count #ssb:', await tags.count('ssb'))

  // Over RPC, through the unix socket with full rights (what the CLI does).
  const client = await connectClient({ kind: 'unix', path: join(path, 'socket') }, { keys: server.keys })
  try {
    console.log('rpc list:', JSON.stringify(await client.rpc.call(['tags', 'list'], [])))
    const texts: string[] = []
    for await (const msg of client.rpc.source(['tags', 'messages'], ['#fun'])) {
      texts.push((msg as { value: { content: { text: string } } }).value.content.text)
    }
    console.log('rpc messages #fun:', JSON.stringify(texts))
  } finally {
    await client.close()
  }
} finally {
  await server.close()
  rmSync(path, { recursive: true, force: true })
}

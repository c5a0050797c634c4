// The ssb-server README's JavaScript example, in TypeScript against @ssb/server:
// start a server from resolved config, save its manifest where clients look for it, then connect
// a client with the server's own key, publish, and read the three classic streams.
//
//   npx tsx --conditions=@ssb/source apps/server/examples/basic.ts [data-dir]
//
// Without `data-dir` it works in a fresh temp dir and removes it at the end; it never uses ~/.ssb
// unless you pass that path yourself.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { resolveConfig } from '@ssb/config'
import { loadSecret } from '@ssb/keys'
import { connectClient, createLogger, Server, type ServerConfig } from '@ssb/server'

interface Msg {
  key: string
  value: { author: string; sequence: number; content: { type: string; text?: string } }
  timestamp: number
}

const given = process.argv[2]
const path = given ? resolve(given) : mkdtempSync(join(tmpdir(), 'ssb-example-'))
console.log(`data directory: ${path}`)

// Like `require('ssb-config')`, with the inputs passed in. homeDir is where ssb-config looks for
// its config files; an app would pass os.homedir().
const config = resolveConfig({ homeDir: path, argv: ['--path', path, '--host', '127.0.0.1'], env: {} })

// ssb-config reads port 0 as "unset" (8008); this example takes any free port on 127.0.0.1
// so that it never collides with a server already running.
const serverConfig: ServerConfig = {
  ...(config as unknown as ServerConfig),
  port: 0,
  // ssb-config also turns on the WebSocket listener (ssb-ws, 8989): a free port for it too.
  ws: { host: '127.0.0.1', port: 0 },
  connections: {
    incoming: {
      net: [{ host: '127.0.0.1', port: 0, scope: ['device', 'local', 'public'] }],
      unix: config.connections.incoming.unix ?? [],
    },
  },
}
const server = Server(serverConfig, { logger: createLogger({ level: 'warn' }) })
await server.ready()
console.log(`server ${server.id} listening on ${server.getAddress('device')}`)

// Save the list of methods this server offers where ssb-client will look for it
// (the server also writes it itself when it starts).
const manifestPath = join(config.path, 'manifest.json')
writeFileSync(manifestPath, JSON.stringify(server.getManifest()))

try {
  // A client using the key in {path}/secret (the server's own: full rights) and the saved manifest.
  const keys = await loadSecret(join(config.path, 'secret'))
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
  const client = await connectClient({ kind: 'net', host: '127.0.0.1', port: server.port!, key: server.id }, { keys, manifest })
  try {
    const { rpc } = client
    console.log(`whoami: ${((await rpc.call('whoami')) as { id: string }).id}`)

    // publish a message: msg.key == hash(msg.value), msg.value.author == your id
    for (const text of ['My First Post!', 'and a second one']) {
      const msg = (await rpc.call('publish', [{ type: 'post', text }])) as Msg
      console.log(`published ${msg.key} (sequence ${msg.value.sequence}): ${JSON.stringify(msg.value.content)}`)
    }

    const show = async (title: string, items: AsyncIterable<unknown>): Promise<void> => {
      const msgs: Msg[] = []
      for await (const m of items) msgs.push(m as Msg)
      console.log(`${title}: ${msgs.length} message(s)`)
      for (const m of msgs) console.log(`  ${m.key} ${m.value.author} #${m.value.sequence} ${m.value.content.type}: ${m.value.content.text}`)
    }
    // all messages in all feeds, ordered by publish time
    await show('createFeedStream', rpc.source('createFeedStream', [{}]))
    // all messages in all feeds, ordered by receive time
    await show('createLogStream', rpc.source('createLogStream', [{}]))
    // all messages by one feed, ordered by sequence number
    await show('createHistoryStream', rpc.source('createHistoryStream', [{ id: server.id }]))
  } finally {
    await client.close()
  }
} finally {
  await server.close()
  if (!given) rmSync(path, { recursive: true, force: true })
  console.log('server closed')
}

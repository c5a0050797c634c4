// `ssb-server invite.create 1` on a pub and `ssb-server invite.accept <code>` on a new user, run
// through our CLI binary against two of our servers (in this process, each in its own HOME).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger, startServer, type SsbServer } from '@ssb/server'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { runCli as run } from './helpers.js'

interface Node {
  home: string
  server: SsbServer
}
let pub: Node
let user: Node

async function startNode(config: Record<string, unknown> = {}): Promise<Node> {
  const home = await mkdtemp(join(tmpdir(), 'ssb-cli-invite-'))
  const server = await startServer({ path: join(home, '.ssb'), host: '127.0.0.1', port: 0, logging: { level: 'error' }, ...config }, { logger: silentLogger })
  return { home, server }
}

beforeAll(async () => {
  pub = await startNode({ allowPrivate: true })
  user = await startNode()
}, 30_000)

afterAll(async () => {
  for (const n of [user, pub]) {
    if (!n) continue
    await n.server.close()
    await rm(n.home, { recursive: true, force: true })
  }
})

describe('invites from the command line', () => {
  test('invite.create 1 prints a code; invite.accept <code> follows the pub, which follows back', { timeout: 60_000 }, async () => {
    const created = await run(pub.home, ['invite.create', '1'])
    expect(created.stderr).toBe('')
    expect(created.code).toBe(0)
    // Printed like ssb-server's CLI prints any async result: as JSON, so a quoted string.
    const code = JSON.parse(created.stdout) as string
    expect(code).toMatch(new RegExp(`^127\\.0\\.0\\.1:${pub.server.port}:@.{44}\\.ed25519~[A-Za-z0-9+/]{43}=$`))

    // Pasting the output with its quotes works too (ssb-invite strips them).
    const accepted = await run(user.home, ['invite.accept', created.stdout.trim()])
    expect(accepted.stderr).toBe('')
    expect(accepted.code).toBe(0)
    const msgs = JSON.parse(accepted.stdout) as Array<{ value: { author: string; content: Record<string, unknown> } }>
    expect(msgs.map((m) => m.value.content)).toEqual([
      { type: 'contact', following: true, autofollow: true, contact: pub.server.id },
      { type: 'pub', address: { host: '127.0.0.1', port: pub.server.port, key: pub.server.id } },
    ])
    expect(msgs[0]!.value.author).toBe(user.server.id)
    const latest = await pub.server.db.getLatest(pub.server.id)
    expect(latest?.value.content).toEqual({ type: 'contact', contact: user.server.id, following: true, pub: true })

    const again = await run(user.home, ['invite.accept', code])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/invite not accepted: (already following|invite has expired)/)
  })

  test('invite.create --uses 2 --note … and a bad code give the expected output', { timeout: 60_000 }, async () => {
    const created = await run(pub.home, ['invite.create', '--uses', '2', '--note', 'from the cli'])
    expect(created.code).toBe(0)
    expect(JSON.parse(created.stdout)).toMatch(/~[A-Za-z0-9+/]{43}=$/)
    const bad = await run(user.home, ['invite.accept', 'not-a-code'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/not an invite code/)
  })
})

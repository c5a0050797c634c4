import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDb } from '@ssb/db'
import { generateKeys } from '@ssb/keys'
import { expect, test } from 'vitest'
import { createQuery } from '../src/index.js'

test('README example', async () => {
  const log: unknown[] = []
  const console = { log: (...args: unknown[]) => log.push(args) }
  const dirs: string[] = []
  const track = async (d: Promise<string>) => {
    dirs.push(await d)
    return dirs[dirs.length - 1]!
  }
  // --- README ---
  const db = await openDb({ keys: generateKeys() }, { dir: await track(mkdtemp(join(tmpdir(), 'ssb-'))) })
  await db.publish({ type: 'post', text: 'hello', channel: 'intro' })
  await db.publish({ type: 'about', about: db.id, name: 'me' })
  await db.publish({ type: 'post', text: 'world' })

  const query = createQuery(db)
  const q = [{ $filter: { value: { content: { type: 'post' } } } }, { $map: ['value', 'content', 'text'] }]
  console.log(query.explain({ query: q }).index) // typ
  for await (const text of query.read({ query: q, reverse: true })) console.log(text)
  // world
  // hello
  await db.close()
  // --- end ---
  for (const d of dirs) await rm(d, { recursive: true, force: true })
  expect(log).toEqual([['typ'], ['world'], ['hello']])
})

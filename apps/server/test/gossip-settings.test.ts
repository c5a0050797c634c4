import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { persistGossipSwitch } from '../src/gossip-settings.js'
import { tempDir } from './helpers.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})
async function dirForTest(): Promise<string> {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  return dir
}

test('a gossip switch is remembered in {path}/config, next to what the file already holds', async () => {
  const dir = await dirForTest()
  await persistGossipSwitch(dir, 'local', false)
  expect(JSON.parse(await readFile(join(dir, 'config'), 'utf8'))).toEqual({ gossip: { local: false } })
  await writeFile(join(dir, 'config'), JSON.stringify({ port: 8009, gossip: { seed: false } }))
  await persistGossipSwitch(dir, 'global', true)
  expect(JSON.parse(await readFile(join(dir, 'config'), 'utf8'))).toEqual({ port: 8009, gossip: { seed: false, global: true } })
})

test('a hand-written config (comments, ini, not an object) is never rewritten', async () => {
  const dir = await dirForTest()
  for (const text of ['// my config\n{ "port": 8009 }\n', 'port = 8009\n', '[1, 2]']) {
    await writeFile(join(dir, 'config'), text)
    await persistGossipSwitch(dir, 'pub', false)
    expect(await readFile(join(dir, 'config'), 'utf8')).toBe(text)
  }
})

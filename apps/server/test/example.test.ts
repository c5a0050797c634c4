// Runs apps/server/examples/basic.ts as a child process (node --import tsx, sources resolved
// through the @ssb/source condition) and checks what it prints against what it left on disk.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { loadSecret } from '@ssb/keys'
import { CORE_MANIFEST } from '@ssb/server'
import { tempDir } from './helpers.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const example = join(root, 'apps', 'server', 'examples', 'basic.ts')
/** A cold tsx start on a busy 2-core machine takes a few seconds; the example itself well under one. */
const RUN_TIMEOUT_MS = 20_000

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

let home: { dir: string; cleanup: () => Promise<void> }

beforeAll(async () => {
  home = await tempDir('ssb-example-home-')
})
afterAll(async () => {
  await home?.cleanup()
})

function runExample(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@ssb/source', example, ...args], {
      cwd: root,
      // An isolated HOME: the example must not need (or touch) ~/.ssb.
      env: { PATH: process.env.PATH, HOME: home.dir },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** The message keys listed under a `name: N message(s)` heading. */
function section(out: string, name: string): string[] {
  const lines = out.split('\n')
  const start = lines.findIndex((l) => l.startsWith(`${name}: `))
  if (start === -1) return []
  const keys: string[] = []
  for (const line of lines.slice(start + 1)) {
    const m = /^ {2}(%\S+\.sha256) /.exec(line)
    if (!m) break
    keys.push(m[1]!)
  }
  return keys
}

test('the example publishes and reads the three streams in the given data dir', async () => {
  const data = await tempDir('ssb-example-data-')
  try {
    const run = await runExample([data.dir])
    expect(run.code, run.stderr).toBe(0)
    const out = run.stdout
    expect(out).toContain(`data directory: ${data.dir}\n`)

    const keys = await loadSecret(join(data.dir, 'secret'))
    const key = escape(keys.public.replace(/\.ed25519$/, ''))
    const unix = escape(`unix:${join(data.dir, 'socket')}~noauth`)
    expect(out).toMatch(new RegExp(`^server ${escape(keys.id)} listening on net:127\\.0\\.0\\.1:\\d+~shs:${key};ws://127\\.0\\.0\\.1:\\d+~shs:${key};${unix}$`, 'm'))
    expect(out).not.toContain(':8989~')
    expect(out).toContain(`whoami: ${keys.id}\n`)
    expect(JSON.parse(readFileSync(join(data.dir, 'manifest.json'), 'utf8'))).toMatchObject(CORE_MANIFEST)

    const published = [...out.matchAll(/^published (%\S+\.sha256) \(sequence (\d+)\): (.*)$/gm)]
    expect(published.map((m) => [m[2], JSON.parse(m[3]!)])).toEqual([
      ['1', { type: 'post', text: 'My First Post!' }],
      ['2', { type: 'post', text: 'and a second one' }],
    ])
    const ids = published.map((m) => m[1]!)
    expect(section(out, 'createFeedStream').sort()).toEqual([...ids].sort())
    expect(section(out, 'createLogStream')).toEqual(ids)
    expect(section(out, 'createHistoryStream')).toEqual(ids)
    expect(out).toContain(`${ids[0]} ${keys.id} #1 post: My First Post!`)
    expect(out.trimEnd().endsWith('server closed')).toBe(true)
    expect(existsSync(data.dir)).toBe(true) // a dir we passed is kept
  } finally {
    await data.cleanup()
  }
})

test('without arguments the example uses a temp dir and removes it', async () => {
  const run = await runExample([])
  expect(run.code, run.stderr).toBe(0)
  const dir = /^data directory: (.+)$/m.exec(run.stdout)?.[1]
  expect(dir).toBeDefined()
  expect(dir!.startsWith(home.dir)).toBe(false)
  expect(existsSync(dir!)).toBe(false)
  expect(section(run.stdout, 'createHistoryStream')).toHaveLength(2)
  expect(existsSync(join(home.dir, '.ssb'))).toBe(false)
})

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

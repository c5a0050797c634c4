// Runs the language-independent shs1-test suite (AljoschaMeyer/shs1-testsuite) against our
// handshake: the suite spawns test/shs1/{client,server}.ts as executables speaking over
// stdin/stdout. Those scripts need tsx; to keep 45 parallel spawns fast on a small machine,
// they are bundled here into plain Node scripts first (same code, no transpiler at spawn).
import { spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const suiteDir = dirname(require.resolve('shs1-test/package.json'))
const SEED = 'ssb-ts shs1-test'

let dir: string
const executables: Record<'client' | 'server', string> = { client: '', server: '' }

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shs1-'))
  // esbuild comes with tsx (a root devDependency); only build() is used.
  const esbuild = createRequire(require.resolve('tsx'))('esbuild') as { build(opts: object): Promise<unknown> }
  const sodiumPath = require.resolve('sodium-native')
  for (const role of ['client', 'server'] as const) {
    const outfile = join(dir, `${role}.mjs`)
    await esbuild.build({
      entryPoints: [join(here, 'shs1', `${role}.ts`)],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      conditions: ['@ssb/source'],
      logLevel: 'silent',
      plugins: [
        {
          name: 'native-by-absolute-path',
          setup(build: { onResolve(o: { filter: RegExp }, cb: () => { path: string; external: boolean }): void }) {
            build.onResolve({ filter: /^sodium-native$/ }, () => ({ path: sodiumPath, external: true }))
          },
        },
      ],
    })
    const body = readFileSync(outfile, 'utf8').replace(/^#!.*\n/, '')
    writeFileSync(outfile, `#!${process.execPath}\n${body}`)
    chmodSync(outfile, 0o755)
    executables[role] = outfile
  }
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

function runSuite(script: string, executable: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(suiteDir, script), executable, SEED], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

test('our client passes the shs1-test client suite', async () => {
  const { code, output } = await runSuite('test-client.js', executables.client)
  expect(output).toContain('Passed the client test suite')
  expect(code).toBe(0)
}, 180_000)

test('our server passes the shs1-test server suite', async () => {
  const { code, output } = await runSuite('test-server.js', executables.server)
  expect(output).toContain('Passed the server test suite')
  expect(code).toBe(0)
}, 180_000)

// Running the real `ssb-server` binary (from source, through tsx) in tests, each with its own HOME.
import { spawn, type ChildProcess } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const bin = join(root, 'apps', 'cli', 'src', 'bin.ts')
export const NODE_ARGS = ['--import', 'tsx', '--conditions=@ssb/source', bin]

export { freePort } from '@ssb/vitest-config/free-port'

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Only what the CLI needs: an isolated HOME, so ~/.ssb is never the user's. */
function env(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: home }
}

/** One CLI invocation to completion; `input` goes to its stdin. */
export function runCli(home: string, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_ARGS, ...args], { cwd: root, env: env(home) })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
    if (input !== undefined) child.stdin.end(input)
    else child.stdin.end()
  })
}

export interface CliServer {
  child: ChildProcess
  /** What it printed on stdout until it was listening. */
  out: string
  /** SIGTERM, and wait for the exit (only this child is signalled). */
  stop(): Promise<void>
}

/** `ssb-server start …` in the background; resolves once it prints "listening on". */
export async function startCli(home: string, args: string[]): Promise<CliServer> {
  const child = spawn(process.execPath, [...NODE_ARGS, 'start', ...args], { cwd: root, env: env(home) })
  let out = ''
  let err = ''
  child.stderr!.on('data', (d) => (err += d))
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d
      if (out.includes('listening on')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`server exited ${code}\n${out}\n${err}`)))
  })
  return {
    child,
    out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}

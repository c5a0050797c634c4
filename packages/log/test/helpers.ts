import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import type { Log } from '@ssb/log'

const dirs: string[] = []
const logs: Log[] = []

/** A fresh temp dir, removed (with any log still open in it closed) after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ssb-log-test-'))
  dirs.push(dir)
  return dir
}

/** Registers a log to close after the test (ignoring errors: some tests break it on purpose). */
export function track<T extends Log>(log: T): T {
  logs.push(log)
  return log
}

afterEach(async () => {
  await Promise.allSettled(logs.splice(0).map((l) => l.close()))
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })))
})

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
export const dec = (u: Uint8Array): string => new TextDecoder().decode(u)

/** Deterministic record content for counter i (size varies). */
export function recordFor(i: number, size = 20 + ((i * 37) % 300)): Uint8Array {
  const r = new Uint8Array(size)
  for (let k = 0; k < size; k++) r[k] = (i * 31 + k * 7) & 0xff
  if (size >= 4) new DataView(r.buffer).setUint32(0, i)
  return r
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

export async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (err) {
    if ((err as { code?: string }).code !== code) throw new Error(`expected ${code}, got ${(err as Error).name} ${(err as { code?: string }).code}: ${(err as Error).message}`)
    if ((err as Error).name !== 'LogError') throw new Error(`expected a LogError, got ${(err as Error).name}`)
    return
  }
  throw new Error(`expected ${code}, but it succeeded`)
}

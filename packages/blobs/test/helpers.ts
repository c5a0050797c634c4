import { createHash } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BlobId } from '@ssb/keys'

export async function makeTempDir(prefix = 'ssb-blobs-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

export function idOf(bytes: Uint8Array): BlobId {
  return `&${createHash('sha256').update(bytes).digest('base64')}.sha256`
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const chunk of source) parts.push(chunk)
  return new Uint8Array(Buffer.concat(parts))
}

export async function drain<T>(source: AsyncIterable<T>, n: number): Promise<T[]> {
  const out: T[] = []
  if (n === 0) return out
  for await (const item of source) {
    out.push(item)
    if (out.length >= n) break
  }
  return out
}

export function randomBytesOf(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

export function chunksOf(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size))
  return out
}

export async function listTmp(dir: string): Promise<string[]> {
  return readdir(join(dir, 'tmp'))
}

/** All files under {dir}/sha256, as `hh/rest`. */
export async function listBlobFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const hh of await readdir(join(dir, 'sha256'))) {
    for (const rest of await readdir(join(dir, 'sha256', hh))) out.push(`${hh}/${rest}`)
  }
  return out.sort()
}

/** A deferred: a promise plus its resolve function. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/** Byte equality via Buffer.equals: vitest's toEqual walks large typed arrays element by element. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
}

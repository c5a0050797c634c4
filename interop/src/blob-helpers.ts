// Helpers for blob interop tests: ids, adding and reading blobs on the JS reference (ssb-client's
// fix-add-blob `blobs.add` sink) and on ours (RPC as master over TCP), and looking at the files
// each store keeps (both use multiblob's `{path}/blobs/sha256/<hh>/<62 hex>` layout).
import { createHash } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { connectClient as connectOurClient, type SsbClient as OurClient } from '@ssb/server'
import { call, collect, iterate, source, values, type SsbClient } from './client.js'
import type { OurServer } from './our-server.js'

/** 5 MiB: ssb-blobs' default `blobs.max` for blobs fetched from peers (protocol.md §10). */
export const BLOB_MAX = 5 * 1024 * 1024
/** Chunk size used when streaming a blob into a `blobs.add` sink (what pull-file reads). */
export const ADD_CHUNK_BYTES = 64 * 1024

export function blobId(bytes: Uint8Array): string {
  return '&' + createHash('sha256').update(bytes).digest('base64') + '.sha256'
}

/** Deterministic pseudo-random bytes (fast for MiBs, unlike crypto.randomBytes; no repeats per run). */
export function blobBytes(size: number, label: string): Buffer {
  const out = Buffer.allocUnsafe(size)
  let block = createHash('sha256').update(label).digest()
  for (let off = 0; off < size; off += 32) {
    block = createHash('sha256').update(block).digest()
    block.copy(out, off, 0, Math.min(32, size - off))
  }
  return out
}

export function chunks(bytes: Uint8Array, size = ADD_CHUNK_BYTES): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, Math.min(bytes.length, i + size)))
  return out
}

/** `{path}/blobs/sha256/<hh>/<rest>`: where multiblob (and @ssb/blobs) keeps a blob. */
export function blobFile(ssbPath: string, id: string): string {
  const hex = Buffer.from(id.slice(1, 45), 'base64').toString('hex')
  return join(ssbPath, 'blobs', 'sha256', hex.slice(0, 2), hex.slice(2))
}

export function blobOnDisk(ssbPath: string, id: string): boolean {
  return existsSync(blobFile(ssbPath, id))
}

/** Leftover temporary files of interrupted adds (`{path}/blobs/tmp`). */
export function blobTmpFiles(ssbPath: string): string[] {
  const dir = join(ssbPath, 'blobs', 'tmp')
  return existsSync(dir) ? readdirSync(dir) : []
}

type FixedAdd = (cb: (err: Error | null, id?: string) => void) => (src: unknown) => void

/**
 * ssb-client wraps `blobs.add` (fix-add-blob): it hashes and buffers the chunks itself, then
 * streams them to the server and calls back with the id it computed. That callback fires once
 * the chunks are SENT (a muxrpc 6 sink calls back when its source ends), before the server has
 * renamed the file into place, so this also waits for the blob on the server's live
 * `blobs.ls({old: false, live: true})`, opened before the add.
 */
export async function referenceAddBlob(client: SsbClient, bytes: Uint8Array): Promise<string> {
  const expected = blobId(bytes)
  const added = iterate(source<string>(client, 'blobs.ls', { old: false, live: true }))
  const first = added.next()
  first.catch(() => {})
  await call(client, 'whoami') // the ls request went out before the add (calls are served in order)
  const add = (client['blobs'] as Record<string, unknown>)['add'] as FixedAdd
  const id = await new Promise<string>((resolve, reject) => {
    add((err, id) => (err || !id ? reject(err ?? new Error('no id')) : resolve(id)))(values(chunks(bytes)))
  })
  if (id !== expected) throw new Error(`ssb-client computed ${id}, expected ${expected}`)
  try {
    for (let r = await first; !r.done; r = await added.next()) if (r.value === id) return id
    throw new Error('blobs.ls ended before the added blob appeared')
  } finally {
    await added.return(undefined)
  }
}

export async function referenceGetBlob(client: SsbClient, id: string): Promise<Buffer> {
  return Buffer.concat(await collect(source<Buffer>(client, 'blobs.get', id)))
}

export function referenceHasBlob(client: SsbClient, id: string): Promise<boolean> {
  return call<boolean>(client, 'blobs.has', id)
}

/** Ours as master over TCP + SHS with the server's own key. */
export function ourClient(ours: OurServer): Promise<OurClient> {
  return connectOurClient({ kind: 'net', host: '127.0.0.1', port: ours.port, key: ours.id }, { keys: ours.server.keys })
}

export async function ourAddBlob(client: OurClient, bytes: Uint8Array): Promise<string> {
  await client.rpc.sink('blobs.add', [], chunks(bytes))
  return blobId(bytes)
}

export async function ourGetBlob(client: OurClient, id: string): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const c of client.rpc.source('blobs.get', [id])) parts.push(c as Uint8Array)
  return Buffer.concat(parts)
}

/** How long the server may take to notice that a force-closed client is gone. */
const CLIENT_GONE_MS = 5_000

/**
 * Force-closes a client of ours that may still wait on a `blobs.want`, then waits until the
 * server has dropped its side of that connection. Stopping the server while it still serves an
 * unanswered async call hangs @ssb/rpc's graceful close() (reported; see blobs-close.test.ts).
 */
export async function closeClientFirst(ours: OurServer | undefined, client: OurClient | undefined): Promise<void> {
  if (!ours || !client) return
  const mine = ours.server.connections().filter((c) => c.id === ours.id)
  await client.rpc.close(new Error('test over')).catch(() => {})
  await Promise.race([
    Promise.all(mine.map((c) => c.rpc.whenClosed())),
    new Promise((resolve) => setTimeout(resolve, CLIENT_GONE_MS).unref()),
  ])
}

// On-disk layout of dominictarr/multiblob (ssb-blobs 1.2.2), so an existing ~/.ssb/blobs works:
// {dir}/sha256/<first 2 hex>/<other 62 hex>, temporary files in {dir}/tmp. protocol.md §10.
import { randomBytes } from 'node:crypto'
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { BlobId } from '@ssb/keys'
import { blobIdToHex, hexToBlobId } from './ids.js'
import type { Logger } from './logger.js'

export interface IndexEntry {
  size: number
  ts: number
  /** Last access in ms (file atime at startup, then kept in memory). */
  atime: number
  /** The atime last written to the file with utimes. */
  atimeWritten: number
  /** Use order for LRU: higher = used more recently (ties in ms clocks cannot reorder it). */
  seq: number
}

export function blobPath(dir: string, id: BlobId): string {
  const hex = blobIdToHex(id)
  return join(dir, 'sha256', hex.slice(0, 2), hex.slice(2))
}

/** A fresh temporary file name: `<ms>-<random>`, like multiblob's `<ts>-<n>` but unique without a counter. */
export function tmpPath(dir: string): string {
  return join(dir, 'tmp', `${Date.now()}-${randomBytes(8).toString('hex')}`)
}

/** Removes every leftover temporary file: adds interrupted by a crash never became visible. */
export async function resetTmp(dir: string): Promise<void> {
  await rm(join(dir, 'tmp'), { recursive: true, force: true })
  await mkdir(join(dir, 'tmp'), { recursive: true })
  await mkdir(join(dir, 'sha256'), { recursive: true })
}

const FANOUT = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/**
 * Creates the 256 `sha256/<hh>` folders that are missing (multiblob makes them on first use;
 * empty ones are harmless to it), so that an add does not pay for a mkdir and an extra folder
 * fsync.
 */
export async function ensureFanout(dir: string, fsync: boolean): Promise<void> {
  const root = join(dir, 'sha256')
  const present = new Set(await readdir(root))
  const missing = FANOUT.filter((hh) => !present.has(hh))
  await Promise.all(missing.map((hh) => mkdir(join(root, hh), { recursive: true })))
  if (missing.length > 0 && fsync) await syncDir(root)
}

/** Reads every stored blob's size and times. Files that are not blobs are skipped (and logged). */
export async function scanBlobs(dir: string, logger: Logger): Promise<Map<BlobId, IndexEntry>> {
  const index = new Map<BlobId, IndexEntry>()
  const root = join(dir, 'sha256')
  for (const hh of await readdir(root)) {
    if (!/^[0-9a-f]{2}$/.test(hh)) continue
    let names: string[]
    try {
      names = await readdir(join(root, hh))
    } catch {
      continue
    }
    await Promise.all(
      names.map(async (rest) => {
        const id = hexToBlobId(hh + rest)
        if (id === null) return logger.debug('skipping non-blob file', { file: join(hh, rest) })
        try {
          const st = await stat(join(root, hh, rest))
          if (!st.isFile()) return
          index.set(id, { size: st.size, ts: Math.floor(st.mtimeMs), atime: st.atimeMs, atimeWritten: st.atimeMs, seq: 0 })
        } catch {
          // removed while scanning
        }
      }),
    )
  }
  // Restore the use order from the access times persisted in the files.
  const byAtime = [...index.values()].sort((a, b) => a.atime - b.atime)
  byAtime.forEach((e, i) => (e.seq = i + 1))
  return index
}

/** fsync a folder so a rename or a new entry in it survives a crash. */
export async function syncDir(path: string): Promise<void> {
  const fh = await open(path, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

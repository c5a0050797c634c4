import type { BlobId } from '@ssb/keys'
import type { IndexEntry } from './disk.js'

/**
 * Which blobs to delete, least recently used first, to bring `totalBytes` down to `quotaBytes`.
 * Pinned blobs and `keep` are never chosen; if they alone exceed the quota we stay over it.
 */
export async function chooseEvictions(
  index: Map<BlobId, IndexEntry>,
  totalBytes: number,
  quotaBytes: number,
  keep: ReadonlySet<BlobId>,
  isPinned: (id: BlobId) => boolean | Promise<boolean>,
): Promise<BlobId[]> {
  if (totalBytes <= quotaBytes) return []
  const byAge = [...index.entries()].filter(([id]) => !keep.has(id)).sort((a, b) => a[1].seq - b[1].seq)
  const victims: BlobId[] = []
  let excess = totalBytes - quotaBytes
  for (const [id, entry] of byAge) {
    if (excess <= 0) break
    if (await isPinned(id)) continue
    victims.push(id)
    excess -= entry.size
  }
  return victims
}

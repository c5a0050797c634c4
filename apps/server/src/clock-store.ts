import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ClockStore, VectorClock } from '@ssb/ebt'
import { isFeedId } from '@ssb/keys'

/** Upper bound for one stored peer clock file (a clock of ~100k feeds). */
const MAX_CLOCK_FILE_BYTES = 16 * 1024 * 1024

/** Per-peer remote clocks as JSON files, one per peer (like ssb-ebt's `~/.ssb/ebt/<id>`). */
export function fileClockStore(dir: string): ClockStore {
  const file = (peer: string) => join(dir, peer.replace(/\//g, '_').replace(/\+/g, '-'))
  let made = false
  return {
    async load(peerId) {
      try {
        const text = await readFile(file(peerId), 'utf8')
        if (text.length > MAX_CLOCK_FILE_BYTES) return null
        const parsed = JSON.parse(text) as unknown
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null
        const clock: VectorClock = {}
        for (const [k, v] of Object.entries(parsed)) if (isFeedId(k) && Number.isInteger(v)) clock[k] = v as number
        return clock
      } catch {
        return null
      }
    },
    async save(peerId, clock) {
      if (!made) {
        await mkdir(dir, { recursive: true })
        made = true
      }
      const target = file(peerId)
      const tmp = `${target}.tmp`
      await writeFile(tmp, JSON.stringify(clock))
      await rename(tmp, target)
    },
  }
}

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Db, openDb } from '@ssb/db'
import { type FeedState, type MsgValue, createMessage } from '@ssb/feed'
import { type Keys, generateKeys } from '@ssb/keys'

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

/** A real store in a temp dir. */
export async function tempDb(seed = 1): Promise<{ db: Db; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ssb-query-test-'))
  const db = await openDb({ keys: generateKeys(new Uint8Array(32).fill(seed)) }, { dir, sync: 'none' })
  return {
    db,
    async close() {
      await db.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Signs messages of one feed in order, with chosen claimed timestamps. */
export class Writer {
  readonly keys: Keys
  private state: FeedState | null = null
  constructor(seed: number) {
    this.keys = generateKeys(new Uint8Array(32).fill(seed))
  }
  get id(): string {
    return this.keys.id
  }
  next(content: Record<string, unknown>, timestamp: number): MsgValue {
    const m = createMessage(this.keys, this.state, content, timestamp)
    this.state = { id: m.key, sequence: m.value.sequence, timestamp: m.value.timestamp }
    return m.value
  }
}

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FeedState, type KVT, type MsgValue, createMessage } from '@ssb/feed'
import { type Keys, generateKeys } from '@ssb/keys'
import { type Db, type DbOptions, openDb } from '../src/index.js'

export async function makeTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'ssb-db-test-'))
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

export function keysFor(n: number): Keys {
  return generateKeys(new Uint8Array(32).fill(n))
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

/** Takes exactly n items from an iterator (live streams never end by themselves). */
export async function take<T>(it: AsyncIterable<T>, n: number): Promise<T[]> {
  const out: T[] = []
  if (n === 0) return out
  for await (const x of it) {
    out.push(x)
    if (out.length === n) break
  }
  return out
}

/** A feed writer outside any db: signs messages in order, like a remote peer would. */
export class FeedWriter {
  state: FeedState | null = null
  readonly msgs: Array<{ key: KVT['key']; value: MsgValue }> = []
  constructor(
    readonly keys: Keys,
    private ts = 1_600_000_000_000,
    private readonly hmacKey: string | null = null,
  ) {}

  get id(): Keys['id'] {
    return this.keys.id
  }

  next(content: Record<string, unknown> | string, timestamp?: number): { key: KVT['key']; value: MsgValue } {
    this.ts += 1000
    const m = createMessage(this.keys, this.state, content, timestamp ?? this.ts, { hmacKey: this.hmacKey })
    this.state = { id: m.key, sequence: m.value.sequence, timestamp: m.value.timestamp }
    this.msgs.push(m)
    return m
  }

  many(n: number, content: (i: number) => Record<string, unknown> = (i) => ({ type: 'post', text: `msg ${i}` })): MsgValue[] {
    const out: MsgValue[] = []
    for (let i = 0; i < n; i++) out.push(this.next(content(i)).value)
    return out
  }
}

export interface TestDb {
  db: Db
  dir: string
  keys: Keys
  reopen(opts?: Partial<DbOptions>): Promise<Db>
  cleanup(): Promise<void>
}

export async function withDb(opts: Partial<DbOptions> = {}, seed = 1): Promise<TestDb> {
  const dir = await makeTempDir()
  const keys = keysFor(seed)
  const t: TestDb = {
    db: await openDb({ keys }, { dir, ...opts }),
    dir,
    keys,
    async reopen(more = {}) {
      await t.db.close()
      t.db = await openDb({ keys }, { dir, ...opts, ...more })
      return t.db
    },
    async cleanup() {
      await t.db.close()
      await removeDir(dir)
    },
  }
  return t
}

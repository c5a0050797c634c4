import { cp, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { afterEach, describe, expect, test } from 'vitest'
import type { Db, ReindexProgress } from '../src/index.js'
import { FeedWriter, type TestDb, collect, keysFor, withDb } from './helpers.js'

let t: TestDb
afterEach(async () => {
  await t?.cleanup()
})

async function populate(db: Db): Promise<FeedWriter[]> {
  const ws = [new FeedWriter(keysFor(51)), new FeedWriter(keysFor(52)), new FeedWriter(keysFor(53))]
  const target = '%' + Buffer.alloc(32, 8).toString('base64') + '.sha256'
  for (let i = 0; i < 60; i++) {
    const w = ws[i % 3]!
    const other = ws[(i + 1) % 3]!
    const content =
      i % 5 === 0
        ? { type: 'contact', contact: other.id, following: i % 10 === 0 }
        : { type: i % 2 ? 'post' : 'vote', root: target, mentions: [other.id] }
    await db.add(w.next(content).value)
  }
  await db.publish({ type: 'about', about: ws[0]!.id })
  return ws
}

/** Everything a client can ask, as comparable data. */
async function snapshotQueries(db: Db, ws: FeedWriter[]): Promise<unknown> {
  return {
    log: await collect(db.createLogStream()),
    feed: await collect(db.createFeedStream()),
    types: await collect(db.messagesByType('vote')),
    links: await collect(db.links({})),
    back: await collect(db.links({ dest: ws[1]!.id, values: true })),
    history: await Promise.all(ws.map((w) => collect(db.createHistoryStream({ id: w.id })))),
    contacts: await db.getContacts(),
    clock: await db.getVectorClock(),
  }
}

async function setMeta(dir: string, patch: Record<string, unknown>): Promise<void> {
  const level = new ClassicLevel<string, string>(join(dir, 'indexes'), { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  await level.open()
  const meta = JSON.parse((await level.get('\x00meta'))!)
  await level.put('\x00meta', JSON.stringify({ ...meta, ...patch }))
  await level.close()
}

describe('index store contents', () => {
  test('no entry has an empty value (classic-level 3 leaks native memory on every empty value put)', async () => {
    t = await withDb()
    const ws = await populate(t.db)
    await t.db.publish({ type: 'post', text: 'in a channel', channel: 'x', root: ws[0]!.id })
    await t.db.close()
    for (const rebuilt of [false, true]) {
      if (rebuilt) {
        await rm(join(t.dir, 'indexes'), { recursive: true })
        await (await t.reopen()).close()
      }
      const level = new ClassicLevel<string, string>(join(t.dir, 'indexes'), { keyEncoding: 'utf8', valueEncoding: 'utf8' })
      await level.open()
      const entries = await level.iterator().all()
      await level.close()
      const kinds = new Set(entries.map(([k]) => k[0] === 'q' ? k.slice(0, 4) : k[0]))
      for (const kind of ['k', 's', 'f', 't', 'b', 'c', 'F', 'T', 'qtya', 'qcha', 'qaty', 'qata', 'qart']) expect(kinds).toContain(kind)
      expect(entries.filter(([k, v]) => k === '' || v === '')).toEqual([])
    }
  })
})

describe('reindex', () => {
  test('deleting the index dir rebuilds it with progress; results are equal', async () => {
    t = await withDb()
    const ws = await populate(t.db)
    const before = await snapshotQueries(t.db, ws)
    expect(await t.db.verifyIndexes()).toEqual([])
    await t.db.close()
    await rm(join(t.dir, 'indexes'), { recursive: true })
    const progress: ReindexProgress[] = []
    const db = await t.reopen({ onProgress: (p) => progress.push(p) })
    expect(progress.length).toBeGreaterThan(0)
    expect(progress.at(-1)).toMatchObject({ phase: 'reindex' })
    expect(progress.at(-1)!.done).toBe(progress.at(-1)!.total)
    expect(await snapshotQueries(db, ws)).toEqual(before)
    expect(await db.verifyIndexes()).toEqual([])
  })

  test('an index of another version, another log generation or a corrupt checkpoint is rebuilt', async () => {
    t = await withDb()
    const ws = await populate(t.db)
    const before = await snapshotQueries(t.db, ws)
    for (const patch of [{ version: 0 }, { generation: 99 }, { since: 1e12 }]) {
      await t.db.close()
      await setMeta(t.dir, patch)
      let rebuilt = false
      const db = await t.reopen({ onProgress: () => (rebuilt = true) })
      expect(rebuilt).toBe(true)
      expect(await snapshotQueries(db, ws)).toEqual(before)
    }
    await t.db.close()
    const level = new ClassicLevel<string, string>(join(t.dir, 'indexes'), { keyEncoding: 'utf8', valueEncoding: 'utf8' })
    await level.open()
    await level.put('\x00meta', '{not json')
    await level.close()
    const db = await t.reopen()
    expect(await snapshotQueries(db, ws)).toEqual(before)
    expect(await db.verifyIndexes()).toEqual([])
  })

  test('an unreadable index store is replaced', async () => {
    t = await withDb()
    const ws = await populate(t.db)
    const before = await snapshotQueries(t.db, ws)
    await t.db.close()
    await writeFile(join(t.dir, 'indexes', 'CURRENT'), 'garbage\n')
    const db = await t.reopen()
    expect(await snapshotQueries(db, ws)).toEqual(before)
  })

  test('indexes that lost their latest batches (older checkpoint) catch up from it', async () => {
    t = await withDb()
    const ws = await populate(t.db)
    await t.db.close()
    const saved = join(t.dir, 'indexes-saved')
    await cp(join(t.dir, 'indexes'), saved, { recursive: true })
    let db = await t.reopen()
    for (let i = 0; i < 30; i++) await db.add(ws[i % 3]!.next({ type: 'post', root: ws[0]!.msgs[0]!.key }).value)
    await db.publish({ type: 'vote', vote: { link: ws[0]!.msgs[0]!.key } })
    const before = await snapshotQueries(db, ws)
    await db.close()
    await rm(join(t.dir, 'indexes'), { recursive: true })
    await rename(saved, join(t.dir, 'indexes'))
    let caughtUp = false
    db = await t.reopen({ onProgress: () => (caughtUp = true) })
    expect(caughtUp).toBe(true)
    expect(await snapshotQueries(db, ws)).toEqual(before)
    expect(await db.verifyIndexes()).toEqual([])
  })
})

describe('erase, del, compact', () => {
  test('erase removes a feed from log and every index; the feed may start again', async () => {
    t = await withDb()
    const ws = await populate(t.db)
    const gone = ws[1]!
    expect(await t.db.erase(gone.id)).toBe(20)
    expect(await collect(t.db.createHistoryStream({ id: gone.id }))).toEqual([])
    const log = (await collect(t.db.createLogStream({ keys: false }))) as Array<{ author: string }>
    expect(log.some((v) => v.author === gone.id)).toBe(false)
    expect(await collect(t.db.links({ source: gone.id }))).toEqual([])
    expect((await t.db.getContacts())[gone.id]).toBeUndefined()
    expect(t.db.feedState(gone.id)).toBeNull()
    await expect(t.db.get(gone.msgs[0]!.key)).rejects.toMatchObject({ code: 'DB_NOT_FOUND' })
    expect(await t.db.verifyIndexes()).toEqual([])
    const db = await t.reopen()
    expect(await db.verifyIndexes()).toEqual([])
    await db.add(gone.msgs[0]!.value)
    expect(await db.latestSequence(gone.id)).toBe(1)
  })

  test('del of one message removes it from log and indexes', async () => {
    t = await withDb()
    const ws = await populate(t.db)
    const victim = ws[0]!.msgs[3]!
    await t.db.del(victim.key)
    await expect(t.db.get(victim.key)).rejects.toMatchObject({ code: 'DB_NOT_FOUND' })
    const hist = (await collect(t.db.createHistoryStream({ id: ws[0]!.id, values: false }))) as string[]
    expect(hist).not.toContain(victim.key)
    expect(hist).toHaveLength(19)
    await expect(t.db.del('nonsense')).rejects.toMatchObject({ code: 'DB_INVALID_ARGUMENT' })
  })

  test('compact drops erased records, changes offsets and reindexes; queries agree', async () => {
    t = await withDb()
    const ws = await populate(t.db)
    await t.db.erase(ws[2]!.id)
    const before = await snapshotQueries(t.db, ws)
    const phases = new Set<string>()
    const db = await t.reopen({ onProgress: (p) => phases.add(p.phase) })
    await db.compact()
    expect(phases.has('reindex')).toBe(true)
    expect(await snapshotQueries(db, ws)).toEqual(before)
    expect(await db.verifyIndexes()).toEqual([])
    const next = await db.publish({ type: 'post' })
    expect((await collect(db.createLogStream({ values: false }))).at(-1)).toBe(next.key)
    const again = await t.reopen()
    expect(await again.verifyIndexes()).toEqual([])
  })
})

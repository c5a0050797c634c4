import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeys } from '@ssb/keys'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { guestKeys, InviteError, MAX_NOTE_LENGTH, openInviteTable } from '../src/index.js'

let dir: string
let file: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssb-invite-'))
  file = join(dir, 'invites.json')
})
afterEach(() => rm(dir, { recursive: true, force: true }))

async function errorCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
  } catch (err) {
    return err instanceof InviteError ? err.code : `not an InviteError: ${String(err)}`
  }
  return undefined
}

describe('InviteTable', () => {
  test('create stores the record under the guest id the seed yields; the seed is not stored', async () => {
    const table = await openInviteTable(file)
    const { seed, guest, record } = await table.create({ uses: 2, note: { who: 'alice' } })
    expect(guestKeys(seed).id).toBe(guest.id)
    expect(record).toMatchObject({ id: guest.id, total: 2, used: 0, note: { who: 'alice' }, permissions: { allow: ['invite.use', 'getAddress'], deny: null } })
    expect(table.canUse(guest.id)).toBe(true)
    const onDisk = await readFile(file, 'utf8')
    expect(JSON.parse(onDisk).invites[0].id).toBe(guest.id)
    expect(onDisk).not.toContain(Buffer.from(seed).toString('base64'))
    await table.close()
  })

  test('use counts up to total, then INVITE_EXPIRED; unknown guests get INVITE_UNKNOWN', async () => {
    const table = await openInviteTable(file)
    const { guest } = await table.create({ uses: 2 })
    expect((await table.use(guest.id)).used).toBe(1)
    const second = await table.use(guest.id)
    expect(second.used).toBe(2)
    expect(second.permissions.allow).toEqual([])
    expect(table.canUse(guest.id)).toBe(false)
    expect(await errorCode(table.use(guest.id))).toBe('INVITE_EXPIRED')
    expect(await errorCode(table.use(generateKeys().id))).toBe('INVITE_UNKNOWN')
    await table.close()
  })

  test('a refusing check counts nothing', async () => {
    const table = await openInviteTable(file)
    const { guest } = await table.create()
    const refused = table.use(guest.id, () => {
      throw new InviteError('INVITE_ALREADY_FOLLOWING', 'already following')
    })
    expect(await errorCode(refused)).toBe('INVITE_ALREADY_FOLLOWING')
    expect(table.get(guest.id)?.used).toBe(0)
    await table.close()
  })

  test('parallel uses never exceed total', async () => {
    const table = await openInviteTable(file)
    const { guest } = await table.create({ uses: 5 })
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => table.use(guest.id)))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5)
    const reopened = await openInviteTable(file)
    expect(reopened.get(guest.id)?.used).toBe(5)
    await table.close()
  })

  test('survives reopening; a stale temp file from a crash is ignored', async () => {
    const table = await openInviteTable(file)
    const a = await table.create({ uses: 3 })
    await table.use(a.guest.id)
    await table.close()
    await writeFile(`${file}.tmp`, '{"version":1,"invites":[{"torn') // a write that never got renamed
    const again = await openInviteTable(file)
    expect(again.get(a.guest.id)).toMatchObject({ total: 3, used: 1 })
    expect(again.size).toBe(1)
    await again.use(a.guest.id)
    expect(JSON.parse(await readFile(file, 'utf8')).invites[0].used).toBe(2)
  })

  test('a corrupt or foreign file is refused with INVITE_CORRUPT_TABLE', async () => {
    for (const text of ['not json', '{"version":2,"invites":[]}', '{"version":1,"invites":[{"id":"x","total":1,"used":0}]}', '{"version":1,"invites":[{"id":"' + generateKeys().id + '","total":1,"used":5,"created":1,"permissions":{"allow":[]}}]}']) {
      await writeFile(file, text)
      expect(await errorCode(openInviteTable(file))).toBe('INVITE_CORRUPT_TABLE')
    }
  })

  test('bounded: used-up invites are pruned, then INVITE_TABLE_FULL', async () => {
    const table = await openInviteTable(file, { maxInvites: 3 })
    const a = await table.create()
    await table.create()
    await table.create()
    await table.use(a.guest.id)
    const d = await table.create() // room made by dropping the used-up one
    expect(table.get(a.guest.id)).toBeUndefined()
    expect(table.get(d.guest.id)).toBeDefined()
    expect(await errorCode(table.create())).toBe('INVITE_TABLE_FULL')
    expect(table.size).toBe(3)
    await table.close()
  })

  test('options are checked: uses and note size', async () => {
    const table = await openInviteTable(file)
    for (const uses of [0, -1, 1.5, 'x', 2_000_000, {}]) expect(await errorCode(table.create({ uses: uses as number }))).toBe('INVITE_BAD_OPTIONS')
    expect(await errorCode(table.create({ note: 'x'.repeat(MAX_NOTE_LENGTH) }))).toBe('INVITE_BAD_OPTIONS')
    expect((await table.create({ uses: '4' as unknown as number })).record.total).toBe(4)
    expect(table.size).toBe(1)
    await table.close()
    expect(await errorCode(table.create())).toBe('INVITE_CLOSED')
  })
})

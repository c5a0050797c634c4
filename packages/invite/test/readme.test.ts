import { mkdtemp } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeys } from '@ssb/keys'
import { expect, test } from 'vitest'
import { formatLegacyInvite, guestKeys, openInviteTable, parseInviteCode } from '../src/index.js'

test('README example', async () => {
  const log: unknown[] = []
  const console = { log: (...args: unknown[]) => log.push(args) }
  // --- README ---
  // The pub: make a code for two guests.
  const pub = generateKeys()
  const table = await openInviteTable(join(await mkdtemp(join(tmpdir(), 'pub-')), 'invites.json'))
  const { seed, guest } = await table.create({ uses: 2, note: 'for the book club' })
  const code = formatLegacyInvite({ host: 'pub.example.com', port: 8008, key: pub.id }, seed)
  console.log(code.startsWith(`pub.example.com:8008:${pub.id}~`)) // true

  // The guest: the code tells whom to dial and which key to dial with.
  const invite = parseInviteCode(code)
  console.log(invite.remote === `net:pub.example.com:8008~shs:${pub.public.replace('.ed25519', '')}`) // true
  console.log(guestKeys(invite.seed).id === guest.id) // true

  // The pub, when that guest calls invite.use: count the use (refused once used up).
  console.log((await table.use(guest.id)).used) // 1
  console.log(table.canUse(guest.id)) // true
  await table.close()
  // --- end ---
  expect(log).toEqual([[true], [true], [true], [1], [true]])
})

test('the README shows this exact example', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const source = readFileSync(new URL(import.meta.url), 'utf8')
  const example = source.split('// --- README ---\n')[1]!.split('  // --- end ---')[0]!
  const unindented = example.split('\n').map((l) => l.replace(/^ {2}/, '')).join('\n')
  expect(readme).toContain(unindented.trim())
})

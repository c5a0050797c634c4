import { generateKeys } from '@ssb/keys'
import { expect, test } from 'vitest'
import { createFriends } from '../src/index.js'

test('README example', () => {
  const log: unknown[] = []
  const console = { log: (...args: unknown[]) => log.push(args) }
  // --- README ---
  const [me, alice, bob] = [generateKeys().id, generateKeys().id, generateKeys().id]
  const friends = createFriends({ id: me }, { hops: 2 })
  friends.onReplicationChange((id, replicate, blockedByUs) => console.log(id, replicate, blockedByUs))
  // me, true, false
  friends.addEdges([
    { source: me, dest: alice, value: 1 }, // alice, true, false
    { source: alice, dest: bob, value: 1 }, // bob, true, false
  ])
  console.log(friends.hops()) // { [me]: 0, [alice]: 1, [bob]: 2 }
  friends.addEdge({ source: me, dest: bob, value: -1 }) // bob, false, true
  console.log(friends.hops()[bob]) // -1
  // --- end ---
  expect(log).toEqual([
    [me, true, false],
    [alice, true, false],
    [bob, true, false],
    [{ [me]: 0, [alice]: 1, [bob]: 2 }],
    [bob, false, true],
    [-1],
  ])
})

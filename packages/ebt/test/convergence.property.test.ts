import fc from 'fast-check'
import { afterEach, expect, test } from 'vitest'
import { connect, createNode, type Link, type Node } from './helpers.js'

const nodes: Node[] = []
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.ebt.close()))
})

/**
 * Random meshes of engines, each publishing before and while connected, all replicating every
 * feed: every store must end up with every message, whatever the topology and timing.
 */
test('random meshes converge', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 2, max: 4 }),
      fc.array(fc.integer({ min: 0, max: 25 }), { minLength: 4, maxLength: 4 }),
      fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 4, maxLength: 4 }),
      fc.array(fc.tuple(fc.nat(3), fc.nat(3)), { maxLength: 4 }),
      fc.integer({ min: 1, max: 64 }),
      async (count, before, during, extra, queue) => {
        const mesh = Array.from({ length: count }, () => createNode({ maxQueuedPerPeer: queue, timeoutMs: 50 }))
        nodes.push(...mesh)
        for (const n of mesh) for (const m of mesh) n.ebt.request(m.id)
        mesh.forEach((n, i) => {
          for (let k = 0; k < before[i]!; k++) n.store.publish(n.keys)
        })
        const links: Link[] = []
        const pairs = new Set<string>()
        const link = (i: number, j: number): void => {
          const key = i < j ? `${i}-${j}` : `${j}-${i}`
          if (i === j || pairs.has(key)) return
          pairs.add(key)
          links.push(connect(mesh[i]!, mesh[j]!))
        }
        for (let i = 1; i < count; i++) link(i - 1, i) // a chain keeps the mesh connected
        for (const [i, j] of extra) link(i % count, j % count)
        mesh.forEach((n, i) => {
          for (let k = 0; k < during[i]!; k++) n.store.publish(n.keys)
        })
        const expected = Object.fromEntries(
          mesh.map((n, i) => [n.id, before[i]! + during[i]!]).filter(([, seq]) => (seq as number) > 0),
        )
        for (const n of mesh) await n.store.until(() => mesh.every((m) => n.store.seq(m.id) === (expected[m.id] ?? 0)))
        for (const n of mesh) expect(n.store.clock()).toEqual(expected)
        for (const l of links) l.abort()
        await Promise.all(links.map((l) => l.done))
      },
    ),
    { numRuns: 15 },
  )
})

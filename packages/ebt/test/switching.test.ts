import { generateKeys } from '@ssb/keys'
import { afterEach, expect, test } from 'vitest'
import { connect, createNode, makeFeed, type Node, Pushable } from './helpers.js'

const nodes: Node[] = []
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.ebt.close()))
})

/** X follows a feed that Y has; a scripted peer S claims the same feed first but never sends it. */
async function setup(timeoutMs: number) {
  const x = createNode({ timeoutMs })
  const y = createNode()
  nodes.push(x, y)
  const feed = makeFeed(10)
  y.store.preload(feed.values, feed.state)
  x.ebt.request(feed.keys.id)
  y.ebt.request(feed.keys.id)
  const stalled = generateKeys().id
  const input = new Pushable<unknown>()
  const controller = new AbortController()
  const out = x.ebt.replicate(stalled, input, { isClient: false, version: 3, signal: controller.signal })[Symbol.asyncIterator]()
  expect((await out.next()).value).toEqual({ [feed.keys.id]: 0 }) // x asks S
  await input.push({ [feed.keys.id]: 20 }) // S: have 10, send me yours (and then silence)
  const probe = generateKeys().id
  await input.push({ [probe]: 0 })
  expect((await out.next()).value).toEqual({ [probe]: -1 }) // x has read S's notes
  expect(x.ebt.peerStatus(feed.keys.id).peers[stalled]?.seq).toBe(10)
  const link = connect(y, x)
  return { x, y, feed, stalled, out, controller, link }
}

test('rx moves to another peer when the one we asked stalls while the other claims more', async () => {
  const { x, feed, out, controller, link } = await setup(25)
  const id = feed.keys.id
  await x.store.until(() => x.store.seq(id) === 10)
  // x first told y "have 0, don't send" (S had been asked), and later asked y (an even note)
  expect(link.bToA[0]).toEqual({ [id]: 1 })
  expect(link.bToA.some((f) => (f as Record<string, number>)[id]! % 2 === 0)).toBe(true)
  // and S was told to stop at least once (timing may flip rx back and forth under load)
  let note: number
  do note = ((await out.next()).value as Record<string, number>)[id]!
  while (note % 2 === 0)
  expect(note).toBe(1)
  controller.abort()
  link.abort()
  await link.done
})

test('rx moves at once when the peer we receive from disconnects', async () => {
  const { x, feed, controller, link } = await setup(60_000)
  controller.abort()
  await x.store.until(() => x.store.seq(feed.keys.id) === 10)
  link.abort()
  await link.done
})

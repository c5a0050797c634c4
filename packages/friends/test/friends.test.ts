import { type FeedId, generateKeys } from '@ssb/keys'
import { describe, expect, test } from 'vitest'
import { type ContactWeight, createFriends, FriendsError } from '../src/index.js'

const ids = Array.from({ length: 8 }, () => generateKeys().id)
const [me, alice, bob, carol, dan, eve, frank, gina] = ids as [FeedId, FeedId, FeedId, FeedId, FeedId, FeedId, FeedId, FeedId]

const edge = (source: FeedId, dest: FeedId, value: ContactWeight) => ({ source, dest, value })
const follow = (source: FeedId, dest: FeedId) => edge(source, dest, 1)
const block = (source: FeedId, dest: FeedId) => edge(source, dest, -1)
const unfollow = (source: FeedId, dest: FeedId) => edge(source, dest, -2)

async function collect<T>(iterable: AsyncIterable<T>, n: number): Promise<T[]> {
  const out: T[] = []
  if (n === 0) return out
  for await (const item of iterable) {
    out.push(item)
    if (out.length >= n) break
  }
  return out
}

describe('hops (ssb-friends 4.1.4 semantics)', () => {
  test('self is 0, follows chain 1, 2, and stop at max', () => {
    const friends = createFriends({ id: me }, { hops: 2 })
    expect(friends.hops()).toEqual({ [me]: 0 })
    friends.addEdges([follow(me, alice), follow(alice, bob), follow(bob, carol)])
    expect(friends.hops()).toEqual({ [me]: 0, [alice]: 1, [bob]: 2 })
    const three = createFriends({ id: me }, { hops: 3 })
    three.addEdges([follow(me, alice), follow(alice, bob), follow(bob, carol)])
    expect(three.hops()).toEqual({ [me]: 0, [alice]: 1, [bob]: 2, [carol]: 3 })
  })

  test('a shorter path wins when it appears, and distances re-derive when it goes', () => {
    const friends = createFriends({ id: me }, { hops: 3 })
    friends.addEdges([follow(alice, bob), follow(bob, carol)])
    friends.addEdge(follow(me, alice))
    expect(friends.hops()).toMatchObject({ [alice]: 1, [bob]: 2, [carol]: 3 })
    friends.addEdge(follow(me, bob))
    expect(friends.hops()).toMatchObject({ [alice]: 1, [bob]: 1, [carol]: 2 })
    friends.addEdge(unfollow(me, bob))
    expect(friends.hops()).toMatchObject({ [alice]: 1, [bob]: 2, [carol]: 3 })
  })

  test('our block gives -1; unblocking (an unfollow edge) gives -2, or the follow path back', () => {
    const friends = createFriends({ id: me })
    friends.addEdge(block(me, frank))
    expect(friends.hops()[frank]).toBe(-1)
    friends.addEdge(unfollow(me, frank))
    expect(friends.hops()[frank]).toBe(-2)

    friends.addEdges([follow(me, alice), follow(alice, bob)])
    expect(friends.hops()).toMatchObject({ [alice]: 1, [bob]: 2 })
    friends.addEdge(block(me, bob))
    expect(friends.hops()).toMatchObject({ [alice]: 1, [bob]: -1 })
    friends.addEdge(unfollow(me, bob)) // "after unblocking, goes back to 2, because alice follows"
    expect(friends.hops()).toMatchObject({ [alice]: 1, [bob]: 2 })
  })

  test('blocks by others count from their distance; a tie goes to the follow', () => {
    const friends = createFriends({ id: me }, { hops: 3 })
    friends.addEdges([follow(me, alice), follow(me, bob), follow(alice, carol), follow(carol, dan)])
    expect(friends.hops()[dan]).toBe(3)
    friends.addEdge(block(bob, dan)) // bob (1) blocks dan: -2 beats 3
    expect(friends.hops()[dan]).toBe(-2)
    friends.addEdge(block(bob, carol)) // -2 ties with alice's follow at 2: follow wins
    expect(friends.hops()[carol]).toBe(2)
    friends.addEdge(unfollow(bob, eve)) // unfollow from hop 1: -3
    expect(friends.hops()[eve]).toBe(-3)
    // blocked feeds pass nothing on
    friends.addEdge(follow(dan, gina))
    expect(friends.hops()[gina]).toBeUndefined()
  })

  test('edges from feeds at max hops are ignored', () => {
    const friends = createFriends({ id: me }, { hops: 2 })
    friends.addEdges([follow(me, alice), follow(alice, bob), block(bob, carol), follow(bob, dan)])
    expect(friends.hops()).toEqual({ [me]: 0, [alice]: 1, [bob]: 2 })
  })

  test('we cannot block or unfollow ourselves, and a loop back to us changes nothing', () => {
    const friends = createFriends({ id: me })
    friends.addEdges([block(me, me), follow(me, alice), block(alice, me), follow(alice, alice)])
    expect(friends.hops()).toEqual({ [me]: 0, [alice]: 1 })
    expect(friends.isReplicated(me)).toBe(true)
    expect(friends.isBlocking({ source: me, dest: me })).toBe(true)
  })

  test('hops({start, max, reverse}) traverse other starting points and limits', () => {
    const friends = createFriends({ id: me }, { hops: 2 })
    friends.addEdges([follow(me, alice), follow(alice, bob), follow(bob, carol), block(me, dan), follow(eve, me)])
    expect(friends.hops({ max: 1 })).toEqual({ [me]: 0, [alice]: 1, [dan]: -1 })
    expect(friends.hops({ max: 3 })).toMatchObject({ [carol]: 3 })
    expect(friends.hops({ start: alice })).toEqual({ [alice]: 0, [bob]: 1, [carol]: 2 })
    expect(friends.hops({ reverse: true })).toEqual({ [me]: 0, [eve]: 1 })
    expect(friends.hops({ start: carol, reverse: true, max: 3 })).toEqual({ [carol]: 0, [bob]: 1, [alice]: 2, [me]: 3 })
    expect(() => friends.hops({ max: 'x' as unknown as number })).toThrowError(FriendsError)
  })
})

describe('graph queries', () => {
  test('isFollowing / isBlocking / legacy get', () => {
    const friends = createFriends({ id: me })
    friends.addEdges([follow(me, alice), follow(alice, bob), block(alice, carol), unfollow(me, dan)])
    expect(friends.isFollowing({ source: me, dest: alice })).toBe(true)
    expect(friends.isFollowing({ source: me, dest: dan })).toBe(false)
    expect(friends.isFollowing({ source: bob, dest: me })).toBe(false)
    expect(friends.isBlocking({ source: alice, dest: carol })).toBe(true)
    expect(friends.isBlocking({ source: alice, dest: bob })).toBe(false)
    expect(friends.get()).toEqual({ [me]: { [alice]: true, [dan]: null }, [alice]: { [bob]: true, [carol]: false } })
    expect(friends.get({ source: alice })).toEqual({ [bob]: true, [carol]: false })
    expect(friends.get({ dest: bob })).toEqual({ [alice]: true })
    expect(friends.get({ source: alice, dest: carol })).toBe(false)
    expect(friends.get({ source: me, dest: bob })).toBeNull()
    expect(friends.get({ source: eve, dest: bob })).toEqual({}) // unknown source: ssb-friends answers {}
  })

  test('invalid edges and options throw FriendsError with a code', () => {
    const friends = createFriends({ id: me })
    const bad = [
      { source: 'nope', dest: alice, value: 1 },
      { source: me, dest: alice, value: 2 },
      { source: me, dest: `%${alice.slice(1, -8)}.sha256`, value: 1 },
    ]
    for (const e of bad) {
      expect(() => friends.addEdge(e as never)).toThrowError(expect.objectContaining({ code: 'FRIENDS_INVALID_EDGE' }))
    }
    expect(() => createFriends({ id: me }, { hops: -1 })).toThrowError(expect.objectContaining({ name: 'FriendsError', code: 'FRIENDS_INVALID_OPTIONS' }))
    expect(friends.edgeCount).toBe(0)
  })
})

describe('streams and change listeners', () => {
  test('createFriendStream: initial friends within hops, then live changes (ssb-friends hops test)', async () => {
    const friends = createFriends({ id: me }, { hops: 2 })
    const controller = new AbortController()
    const stream = friends.createFriendStream({ live: true, meta: true, signal: controller.signal })
    const iterator = stream[Symbol.asyncIterator]()
    expect((await iterator.next()).value).toEqual({ id: me, hops: 0 })
    friends.addEdge(follow(alice, bob))
    friends.addEdge(follow(bob, carol))
    friends.addEdge(follow(me, alice))
    expect([(await iterator.next()).value, (await iterator.next()).value]).toEqual([
      { id: alice, hops: 1 },
      { id: bob, hops: 2 },
    ])
    friends.addEdge(follow(me, bob))
    expect([(await iterator.next()).value, (await iterator.next()).value]).toEqual([
      { id: bob, hops: 1 },
      { id: carol, hops: 2 },
    ])
    controller.abort()
    expect((await iterator.next()).done).toBe(true)
  })

  test('createFriendStream without live ends; hops option limits the initial set; ids without meta', async () => {
    const friends = createFriends({ id: me }, { hops: 2 })
    friends.addEdges([follow(me, alice), follow(alice, bob), block(me, carol)])
    expect(await collect(friends.createFriendStream(), 10)).toEqual([me, alice, bob])
    expect(await collect(friends.createFriendStream({ hops: 1 }), 10)).toEqual([me, alice])
  })

  test('hopStream emits the map then merged changes', async () => {
    const friends = createFriends({ id: me })
    const iterator = friends.hopStream({ live: true })[Symbol.asyncIterator]()
    expect((await iterator.next()).value).toEqual({ [me]: 0 })
    friends.addEdge(follow(me, alice))
    friends.addEdge(follow(alice, bob)) // both changes wait for the reader and arrive merged
    expect((await iterator.next()).value).toEqual({ [alice]: 1, [bob]: 2 })
    await iterator.return?.()
    expect(await collect(friends.hopStream({ old: true }), 5)).toEqual([{ [me]: 0, [alice]: 1, [bob]: 2 }])
  })

  test('onReplicationChange reports entering and leaving the replicate set, and our blocks', () => {
    const friends = createFriends({ id: me }, { hops: 2 })
    friends.addEdge(follow(me, alice))
    const events: [FeedId, boolean, boolean][] = []
    const stop = friends.onReplicationChange((id, replicate, blocked) => events.push([id, replicate, blocked]))
    expect(events).toEqual([
      [me, true, false],
      [alice, true, false],
    ])
    events.length = 0
    friends.addEdges([follow(alice, bob), follow(bob, carol)])
    expect(events).toEqual([[bob, true, false]])
    events.length = 0
    friends.addEdge(block(me, bob))
    expect(events).toEqual([[bob, false, true]])
    events.length = 0
    friends.addEdge(unfollow(me, alice)) // alice -2: no longer replicated; bob's block stays
    expect(events).toEqual([[alice, false, false]])
    events.length = 0
    friends.addEdge(unfollow(me, bob)) // unblock: bob is out of reach now, only the block flag changes
    expect(events).toEqual([[bob, false, false]])
    events.length = 0
    friends.addEdge(follow(me, alice)) // bob comes back through alice
    expect(events).toEqual([
      [alice, true, false],
      [bob, true, false],
    ])
    stop()
    friends.addEdge(follow(me, dan))
    expect(events).toHaveLength(2)
  })

  test('feeds that drop out of reach entirely are reported (ssb-friends never did)', () => {
    const friends = createFriends({ id: me }, { hops: 3 })
    friends.addEdges([follow(me, alice), follow(alice, bob), follow(bob, carol)])
    const left: FeedId[] = []
    friends.onReplicationChange((id, replicate) => replicate || left.push(id), { old: false })
    friends.addEdge(block(me, alice))
    expect(left.sort()).toEqual([alice, bob, carol].sort())
    expect(friends.hops()).toEqual({ [me]: 0, [alice]: -1 })
  })

  test('onEdge sees every change once, with the previous value, and can replay old edges', () => {
    const friends = createFriends({ id: me })
    friends.addEdge(block(alice, bob))
    const seen: unknown[] = []
    friends.onEdge((e, previous) => seen.push([e.source, e.dest, e.value, previous]), { old: true })
    friends.addEdge(block(alice, bob)) // repeat: no change
    friends.addEdge(unfollow(alice, bob))
    expect(seen).toEqual([
      [alice, bob, -1, undefined],
      [alice, bob, -2, -1],
    ])
  })

  test('a bulk load gives the same result and events as edge-by-edge updates', () => {
    const edges = [] as ReturnType<typeof follow>[]
    for (let i = 0; i < 400; i++) {
      const a = ids[i % ids.length]!
      const b = ids[(i * 5 + 3) % ids.length]!
      edges.push(edge(a, b, ([1, 1, -1, -2] as const)[i % 4]!))
    }
    const bulk = createFriends({ id: me })
    const single = createFriends({ id: me })
    const bulkEvents = new Map<FeedId, boolean>()
    const singleEvents = new Map<FeedId, boolean>()
    bulk.onReplicationChange((id, r) => bulkEvents.set(id, r))
    single.onReplicationChange((id, r) => singleEvents.set(id, r))
    bulk.addEdges(edges)
    for (const e of edges) single.addEdge(e)
    expect(bulk.hops()).toEqual(single.hops())
    expect(bulkEvents).toEqual(singleEvents)
    expect(bulk.get()).toEqual(single.get())
  })
})

test('a late onReplicationChange subscriber sees blocks made before it subscribed', () => {
  const friends = createFriends({ id: me })
  friends.addEdge(block(me, eve))
  const seen: unknown[] = []
  friends.onReplicationChange((id, replicate, blocked) => seen.push([id, replicate, blocked]))
  expect(seen).toEqual([
    [me, true, false],
    [eve, false, true],
  ])
})

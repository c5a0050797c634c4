import { expect, test } from 'vitest'

test('README example', async () => {
  const log: unknown[] = []
  const console = { log: (...args: unknown[]) => log.push(args) }
  const { createMessage, validateBatch } = await import('@ssb/feed')
  const { generateKeys } = await import('@ssb/keys')
  const { createEbt } = await import('../src/index.js')
  type FeedState = import('@ssb/feed').FeedState
  type MsgValue = import('@ssb/feed').MsgValue
  type Keys = import('@ssb/keys').Keys
  // --- README ---
  function memoryPeer(keys: Keys) {
    const feeds = new Map<string, { values: MsgValue[]; state: FeedState | null }>()
    const listeners = new Set<(value: MsgValue) => void>()
    const feed = (id: string) => feeds.get(id) ?? feeds.set(id, { values: [], state: null }).get(id)!
    const store = (value: MsgValue, state: FeedState | null) => {
      feed(value.author).values.push(value)
      feed(value.author).state = state
      for (const listener of listeners) listener(value)
    }
    const ebt = createEbt({
      id: keys.id,
      getClock: () => Object.fromEntries([...feeds].map(([id, f]) => [id, f.values.length])),
      async *readFeed(id, fromSeq) {
        yield* feed(id).values.slice(fromSeq - 1)
      },
      async append(values) {
        const { valid, state, error } = await validateBatch(feed(values[0]!.author).state, values)
        for (const { value } of valid) store(value, state)
        return { stored: valid.map((v) => v.value), error }
      },
      onAppend(listener) {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
      clockStore: { load: async () => null, save: async () => {} },
    })
    const publish = (text: string) => {
      const { key, value } = createMessage(keys, feed(keys.id).state, { type: 'post', text }, Date.now())
      store(value, { id: key, sequence: value.sequence, timestamp: value.timestamp })
    }
    return { id: keys.id, ebt, feed, listeners, publish }
  }

  const alice = memoryPeer(generateKeys())
  const bob = memoryPeer(generateKeys())
  for (const peer of [alice, bob]) {
    peer.ebt.request(alice.id) // both replicate alice's feed (ssb-friends decides this)
    peer.ebt.request(bob.id)
  }
  alice.publish('hello bob')

  // one duplex: what alice sends is bob's input and the other way round
  const controller = new AbortController()
  let bobToAlice: AsyncIterable<unknown> | undefined
  const aliceToBob = alice.ebt.replicate(bob.id, { [Symbol.asyncIterator]: () => bobToAlice![Symbol.asyncIterator]() }, { isClient: true, version: 3, signal: controller.signal })
  bobToAlice = bob.ebt.replicate(alice.id, aliceToBob, { isClient: false, version: 3, signal: controller.signal })

  await new Promise<void>((resolve) => bob.listeners.add(() => resolve()))
  console.log(bob.feed(alice.id).values[0]!.content) // { type: 'post', text: 'hello bob' }
  console.log(alice.ebt.peerStatus().peers[bob.id]?.seq) // 1
  controller.abort()
  await Promise.all([alice.ebt.close(), bob.ebt.close()])
  // --- end ---
  expect(log).toEqual([[{ type: 'post', text: 'hello bob' }], [1]])
})

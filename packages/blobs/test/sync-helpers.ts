import type { BlobId } from '@ssb/keys'
import { type BlobPeer, type BlobStore, type BlobsSync, createBlobsSync, openBlobStore, type WantMap } from '@ssb/blobs'
import { makeTempDir } from './helpers.js'

export interface Node {
  name: string
  store: BlobStore
  sync: BlobsSync
  misbehaved: [string, string][]
  onMisbehave: Promise<[string, string]>
  close(): Promise<void>
}

export async function makeNode(name: string, opts: { maxSize?: number; maxWantsPerPeer?: number } = {}): Promise<Node> {
  const { dir, cleanup } = await makeTempDir(`ssb-blobs-${name}-`)
  const store = await openBlobStore({ dir, fsync: false })
  const misbehaved: [string, string][] = []
  let report!: (r: [string, string]) => void
  const onMisbehave = new Promise<[string, string]>((r) => (report = r))
  const sync = createBlobsSync(
    {
      store,
      onMisbehave: (peer, reason) => {
        misbehaved.push([peer, reason])
        report([peer, reason])
      },
    },
    opts,
  )
  return {
    name,
    store,
    sync,
    misbehaved,
    onMisbehave,
    async close() {
      sync.close()
      await store.close()
      await cleanup()
    },
  }
}

/** The remote side as seen by `from`: get() reads `to`'s store, as blobs.get({key, max}) would. */
export function peerOf(to: Node): BlobPeer {
  return { get: (id, { max, signal }) => to.store.get(id, { max, signal }) }
}

/** Wires two engines the way two RPC peers would: each consumes the other's createWants. */
export function connect(a: Node, b: Node): { disconnect(): void; ended: Promise<unknown> } {
  const ab = a.sync.addPeer(b.name, peerOf(b))
  const ba = b.sync.addPeer(a.name, peerOf(a))
  const ended = Promise.all([ab.receiveWants(ba.createWants()), ba.receiveWants(ab.createWants())])
  return {
    disconnect() {
      ab.remove()
      ba.remove()
    },
    ended,
  }
}

/** A createWants stream that can be read in several steps (for-await would close it). */
export function reader(stream: AsyncIterable<WantMap>): (predicate?: (m: WantMap) => boolean) => Promise<WantMap[]> {
  const it = stream[Symbol.asyncIterator]()
  return async (predicate = () => true) => {
    const got: WantMap[] = []
    for (;;) {
      const r = await it.next()
      if (r.done) throw new Error(`stream ended before a matching frame: ${JSON.stringify(got)}`)
      got.push(r.value)
      if (predicate(r.value)) return got
    }
  }
}

/** A want stream that yields `items` and ends. */
export async function* frames(...items: unknown[]): AsyncGenerator<unknown> {
  for (const item of items) yield item
}

/**
 * A want stream that yields `items` and then stays open until end() is called, like a live
 * connection. `processed` resolves once the engine has handled every item (it asked for more).
 */
export function openFrames(...items: unknown[]): { stream: AsyncIterable<unknown>; processed: Promise<void>; end(): void } {
  let end!: () => void
  const ended = new Promise<void>((r) => (end = r))
  let processed!: () => void
  const done = new Promise<void>((r) => (processed = r))
  async function* stream(): AsyncGenerator<unknown> {
    for (const item of items) yield item
    processed()
    await ended
  }
  return { stream: stream(), processed: done, end }
}

export const wantsId = (id: BlobId, n: number) => (m: WantMap) => m[id] === n

// Helpers for replication interop tests: loading fixtures into a JS reference, making it follow
// feeds, and waiting (bounded) until a peer's vector clock reaches an expected state.
import type { SsbServer } from '@ssb/server'
import { call, collect, source, values, type SsbClient } from './client.js'
import type { MsgValue } from './feed-fixtures.js'
import { pollUntil } from './wait.js'

export type Clock = Record<string, number>

/** `add` pre-signed messages to a reference, `concurrency` calls in flight (order kept per feed). */
export async function addToReference(client: SsbClient, messages: MsgValue[], concurrency = 64): Promise<void> {
  // ssb-db validates each `add` against the feed state at the time it is queued, so messages of
  // one feed must be submitted in order; round-robin fixtures interleave feeds, so a window of
  // `concurrency` consecutive messages holds at most one or two of each feed in sequence order.
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < messages.length) {
      const msg = messages[next++]!
      await call(client, 'add', msg)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, messages.length) }, worker))
}

/**
 * Stream pre-signed messages into a reference through `createWriteStream` (master only): one
 * ssb-db write queue, ~30× faster than `add` calls. ssb-db 20 answers the sink before the
 * messages are stored, and a second write stream started before the first is stored silently
 * drops its messages, so this resolves only once the reference's clock has every feed of the
 * batch up to its last message.
 */
export async function writeToReference(client: SsbClient, messages: MsgValue[], timeoutMs = 300_000): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const createWriteStream = client['createWriteStream'] as (cb: (err?: Error | null) => void) => (src: unknown) => void
    createWriteStream((err) => (err ? reject(err) : resolve()))(values(messages))
  })
  const expected: Clock = {}
  for (const m of messages) expected[m.author] = Math.max(expected[m.author] ?? 0, m.sequence)
  await waitForReferenceClock(client, expected, timeoutMs)
}

/** Publish `contact` follow messages on a reference (its own feed), in order. */
export async function referenceFollows(client: SsbClient, ids: string[]): Promise<void> {
  for (const contact of ids) await call(client, 'publish', { type: 'contact', contact, following: true })
}

/** Wait until the reference's friends graph puts every id at hops ≥ 0 (so it replicates them). */
export async function referenceReplicates(client: SsbClient, ids: string[], timeoutMs = 20_000): Promise<void> {
  await pollUntil(
    async () => {
      const hops = await call<Record<string, number>>(client, 'friends.hops', {})
      return ids.every((id) => typeof hops[id] === 'number' && hops[id]! >= 0)
    },
    { what: 'reference friends.hops to include the followed feeds', timeoutMs },
  )
}

export function referenceClock(client: SsbClient): Promise<Clock> {
  return call<Clock>(client, 'getVectorClock')
}

export function clockReaches(clock: Clock, expected: Clock): boolean {
  return Object.entries(expected).every(([id, seq]) => (clock[id] ?? 0) >= seq)
}

export function missing(clock: Clock, expected: Clock): string {
  const lagging = Object.entries(expected).filter(([id, seq]) => (clock[id] ?? 0) < seq)
  return `${lagging.length} feeds behind, e.g. ${lagging.slice(0, 3).map(([id, seq]) => `${id.slice(0, 8)} ${clock[id] ?? 0}/${seq}`).join(', ')}`
}

/** Poll the reference's getVectorClock until it reaches `expected`. */
export async function waitForReferenceClock(client: SsbClient, expected: Clock, timeoutMs = 30_000): Promise<void> {
  let last: Clock = {}
  await pollUntil(
    async () => {
      last = await referenceClock(client)
      return clockReaches(last, expected)
    },
    { what: 'the reference to have the expected feeds', timeoutMs, intervalMs: 100, describe: () => missing(last, expected) },
  )
}

/** Our in-memory clock of the given feeds. */
export function ourClock(server: SsbServer, ids: Iterable<string>): Clock {
  const out: Clock = {}
  for (const id of ids) out[id] = server.db.feedState(id)?.sequence ?? 0
  return out
}

/** Resolves when our server has every feed of `expected` up to its sequence (driven by onMessage). */
export function waitForOurClock(server: SsbServer, expected: Clock, timeoutMs = 30_000): Promise<void> {
  const done = () => clockReaches(ourClock(server, Object.keys(expected)), expected)
  if (done()) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off()
      reject(new Error(`timed out waiting for our server: ${missing(ourClock(server, Object.keys(expected)), expected)}`))
    }, timeoutMs)
    const off = server.db.onMessage(() => {
      if (done()) {
        clearTimeout(timer)
        off()
        resolve()
      }
    })
  })
}

/** Every message of a feed in our store, as values, in order. */
export async function ourFeed(server: SsbServer, id: string): Promise<MsgValue[]> {
  const out: MsgValue[] = []
  for await (const v of server.db.createHistoryStream({ id, keys: false })) out.push(v as unknown as MsgValue)
  return out
}

/** Every message of a feed on a reference, as values, in order. */
export function referenceFeed(client: SsbClient, id: string): Promise<MsgValue[]> {
  return collect(source<MsgValue>(client, 'createHistoryStream', { id, keys: false }))
}

/** ssb-ebt's peerStatus for a feed (default: the reference's own). */
export interface EbtPeerStatus {
  id: string
  seq: number | undefined
  peers: Record<string, { seq?: number; replicating?: { tx: boolean; rx: boolean; sent: number; requested: number } }>
}
export function referencePeerStatus(client: SsbClient, feed?: string): Promise<EbtPeerStatus> {
  return feed === undefined ? call<EbtPeerStatus>(client, 'ebt.peerStatus') : call<EbtPeerStatus>(client, 'ebt.peerStatus', feed)
}

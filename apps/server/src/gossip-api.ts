// The ssb-gossip RPC's shape: manifest, help, and the pieces of the gossip API that only
// translate between the peer table and what ssb-gossip 1.1 answers.
import { isFeedId, type FeedId } from '@ssb/keys'
import { parseAddresses, type PeerChange, type PeerRecord, type PeerTable } from '@ssb/gossip'
import type { Manifest } from '@ssb/rpc'
import { badArgs, isPlainObject } from './args.js'

/** ssb-gossip 1.1's manifest, names and types as ssb-server 16 publishes them. */
export const GOSSIP_MANIFEST: Manifest = {
  gossip: {
    add: 'sync',
    remove: 'sync',
    connect: 'async',
    disconnect: 'async',
    changes: 'source',
    reconnect: 'sync',
    disable: 'sync',
    enable: 'sync',
    ping: 'duplex',
    get: 'sync',
    peers: 'sync',
    help: 'sync',
  },
}

/** Changes buffered for a slow `gossip.changes` reader before its stream is ended. */
const MAX_CHANGES_BUFFER = 1000

/** The peers whose state ssb-gossip's `status.gossip` shows, in its shape. */
export function simplify(p: PeerRecord): Record<string, unknown> {
  return {
    address: p.address,
    source: p.source,
    state: p.state,
    stateChange: p.stateChange,
    failure: p.failure,
    client: p.client,
    stats: { duration: p.duration ?? undefined, rtt: p.ping?.rtt, skew: p.ping?.skew },
  }
}

/** A key from a feed id, an address, or `{key}`; for get/remove/disconnect. */
export function keyOf(arg: unknown, method: string): FeedId {
  if (isFeedId(arg)) return arg as FeedId
  if (isPlainObject(arg) && isFeedId(arg.key)) return arg.key as FeedId
  try {
    return parseAddresses(arg)[0]!.key
  } catch {
    throw badArgs(`gossip.${method}: expected a feed id or a peer address`)
  }
}

/** gossip.changes: table events as they happen; a reader that falls far behind is cut off. */
export async function* changesStream(table: PeerTable, signal: AbortSignal): AsyncIterable<unknown> {
  const queue: PeerChange[] = []
  let wake: (() => void) | undefined
  let overflow = false
  const off = table.onChange((c) => {
    if (queue.length >= MAX_CHANGES_BUFFER) overflow = true
    else queue.push(c)
    wake?.()
  })
  const onAbort = () => wake?.()
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    while (!signal.aborted) {
      if (overflow) throw badArgs('gossip.changes: reader too slow, stream ended')
      const next = queue.shift()
      if (next) {
        yield { type: next.type, peer: next.peer, ...(next.type === 'discover' ? { source: next.source } : {}) }
        continue
      }
      await new Promise<void>((resolve) => (wake = resolve))
      wake = undefined
    }
  } finally {
    off()
    signal.removeEventListener('abort', onAbort)
  }
}

export function gossipHelp(): object {
  const peerArgs = {
    id: { type: 'FeedId', optional: true, description: 'An ssb feed identity' },
    address: { type: 'MultiServerAddress', optional: true, description: 'a multiserver address of an ssb peer' },
  }
  const cmd = (type: string, description: string, args: object = {}) => ({ type, description, args })
  return {
    description: 'keep track of peers, and decide when to connect to them',
    commands: {
      peers: cmd('sync', 'the peer table (alias: ssb-server peers)'),
      get: cmd('sync', 'one peer by id', peerArgs),
      add: cmd('sync', 'add peer to table', peerArgs),
      remove: cmd('sync', 'remove peer from table', peerArgs),
      connect: cmd('async', 'connect to a peer', peerArgs),
      disconnect: cmd('async', 'disconnect from a peer', peerArgs),
      changes: cmd('source', 'stream of changes to peers table'),
      reconnect: cmd('sync', 'reconnect to all peers'),
      disable: cmd('sync', 'disable gossip (or one of: local, seed, friends, pub)'),
      enable: cmd('sync', 'enable gossip (or one of: local, seed, friends, pub)'),
      ping: cmd('duplex', 'keep-alive timestamps between peers'),
    },
  }
}

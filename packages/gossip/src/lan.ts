import { createSocket, type Socket } from 'node:dgram'
import type { FeedId } from '@ssb/keys'
import { parseAddresses, type PeerAddress } from './address.js'
import {
  DEFAULT_BEACON_INTERVAL_MS,
  DEFAULT_BROADCAST_ADDRESS,
  DEFAULT_LOCAL_EXPIRY_MS,
  MAX_BEACON_BYTES,
  MAX_LOCAL_PEERS,
} from './constants.js'
import { GossipError } from './errors.js'
import { systemClock, type Clock } from './scheduler.js'

export interface LanDeps {
  /** Our id: our own beacons (which we hear too) are ignored. */
  ownId: string
  /** What to announce (our multiserver address for the `private`/`local` scope); null = stay quiet this round. */
  address(): string | null
  /** A peer was heard for the first time (or with a new address): the raw announced text, parsed. */
  onPeer(address: string, peer: PeerAddress): void
  /** A peer has not been heard for `expiryMs`. */
  onExpire(key: FeedId): void
  clock?: Clock
  logger?: { warn(msg: string, ctx?: object): void; debug(msg: string, ctx?: object): void }
}

export interface LanOptions {
  /** UDP port to bind and to broadcast to (ssb-local: the server's port). */
  port: number
  /** Where beacons go (default 255.255.255.255; tests use 127.255.255.255 to stay on loopback). */
  broadcastAddress?: string
  /** Interface address to bind (default all). */
  bindAddress?: string
  intervalMs?: number
  expiryMs?: number
}

export interface LocalPeer {
  key: FeedId
  address: string
  /** ms timestamp of the last beacon. */
  seen: number
}

export interface Lan {
  /** The UDP port actually bound. */
  readonly port: number
  peers(): LocalPeer[]
  /** Parses one datagram as if received (used by the socket handler and by tests). */
  receive(data: Uint8Array): void
  close(): Promise<void>
}

/**
 * LAN discovery compatible with ssb-local (protocol.md §13): a reuseAddr UDP4 socket on the
 * server's port broadcasts our address every second and listens for others'. Beacons are
 * unsigned, so a heard peer is only an address to try: SHS proves the key when we dial.
 * Bounded: datagrams over MAX_BEACON_BYTES are ignored and at most MAX_LOCAL_PEERS are tracked.
 */
export async function startLan(deps: LanDeps, opts: LanOptions): Promise<Lan> {
  const clock = deps.clock ?? systemClock
  const port = opts.port
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new GossipError('GOSSIP_INVALID_OPTIONS', `lan port must be 0…65535, got ${String(port)}`)
  const broadcastAddress = opts.broadcastAddress ?? DEFAULT_BROADCAST_ADDRESS
  const intervalMs = opts.intervalMs ?? DEFAULT_BEACON_INTERVAL_MS
  const expiryMs = opts.expiryMs ?? DEFAULT_LOCAL_EXPIRY_MS
  const seen = new Map<FeedId, LocalPeer>()
  let closed = false

  const receive = (data: Uint8Array): void => {
    if (closed || data.length === 0 || data.length > MAX_BEACON_BYTES) return
    const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')
    let peer: PeerAddress
    try {
      peer = parseAddresses(text)[0]!
    } catch {
      return
    }
    if (peer.key === deps.ownId) return
    const now = clock.now()
    const known = seen.get(peer.key)
    if (known) {
      known.seen = now
      if (known.address === text) return
      known.address = text
    } else {
      if (seen.size >= MAX_LOCAL_PEERS) return
      seen.set(peer.key, { key: peer.key, address: text, seen: now })
    }
    deps.onPeer(text, peer)
  }

  const socket: Socket = createSocket({ type: 'udp4', reuseAddr: true })
  socket.on('message', (msg) => receive(msg))
  socket.on('error', (err) => deps.logger?.warn('lan socket error', { err }))
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(new GossipError('GOSSIP_INVALID_OPTIONS', `cannot bind LAN discovery to udp port ${port}: ${err.message}`, { cause: err }))
    socket.once('error', onError)
    socket.bind(opts.bindAddress === undefined ? { port } : { port, address: opts.bindAddress }, () => {
      socket.off('error', onError)
      resolve()
    })
  })
  socket.setBroadcast(true)
  socket.unref()
  const boundPort = socket.address().port

  let beaconTimer: unknown
  const beacon = () => {
    if (closed) return
    const addr = deps.address()
    if (addr) {
      const buf = Buffer.from(addr, 'utf8')
      if (buf.length <= MAX_BEACON_BYTES) {
        socket.send(buf, boundPort, broadcastAddress, (err) => {
          if (err && !closed) deps.logger?.debug('beacon not sent', { reason: err.message })
        })
      }
    }
    beaconTimer = clock.setTimeout(beacon, intervalMs)
  }
  let expiryTimer: unknown
  const expire = () => {
    if (closed) return
    const now = clock.now()
    for (const [key, p] of seen) {
      if (now - p.seen > expiryMs) {
        seen.delete(key)
        deps.onExpire(key)
      }
    }
    expiryTimer = clock.setTimeout(expire, Math.max(1, Math.floor(expiryMs / 2)))
  }
  beaconTimer = clock.setTimeout(beacon, 0)
  expiryTimer = clock.setTimeout(expire, Math.max(1, Math.floor(expiryMs / 2)))

  return {
    port: boundPort,
    peers: () => [...seen.values()].map((p) => ({ ...p })),
    receive,
    close: async () => {
      if (closed) return
      closed = true
      clock.clearTimeout(beaconTimer)
      clock.clearTimeout(expiryTimer)
      await new Promise<void>((resolve) => socket.close(() => resolve()))
    },
  }
}

import { open, rename, writeFile, unlink } from 'node:fs/promises'
import type { FeedId } from '@ssb/keys'
import { parseAddresses, type PeerAddress } from './address.js'
import { DEFAULT_MAX_PEERS, MAX_STATE_FILE_BYTES } from './constants.js'
import { GossipError } from './errors.js'
import { addSample, isStats, type Stats } from './stats.js'

/** Where an address came from (ssb-gossip's names). */
export type PeerSource = 'pub' | 'manual' | 'local' | 'seed' | 'friends' | 'stored'
export type PeerState = 'connecting' | 'connected' | 'disconnecting'

/** A peer as ssb-gossip keeps it (protocol.md §11); `gossip.peers` returns these. */
export interface PeerRecord {
  /** Every usable alternative, canonical, joined by `;`. */
  address: string
  key: FeedId
  host: string
  port: number
  source: PeerSource
  /** How many times the address was announced (pub messages, adds). */
  announcers: number
  state?: PeerState | undefined
  /** ms timestamp of the last state change or dial attempt; absent = never tried. */
  stateChange?: number | undefined
  /** Consecutive failed dials; drives the back-off. */
  failure: number
  /** We dialled the current connection. */
  client?: boolean
  /** Connection lifetimes (a failed dial counts as 0). */
  duration?: Stats | null
  ping?: { rtt: Stats; skew: Stats }
  /** Why the last dial failed. */
  error?: string
}

export type PeerChange =
  | { type: 'discover'; peer: PeerRecord; source: PeerSource }
  | { type: 'remove'; peer: PeerRecord }
  | { type: 'connecting'; peer: PeerRecord }
  | { type: 'connect'; peer: PeerRecord }
  | { type: 'connect-failure'; peer: PeerRecord }
  | { type: 'disconnect'; peer: PeerRecord }

export interface PeerTableOptions {
  /** Our own id: never added. */
  ownId?: string
  /** Bound on the table (default DEFAULT_MAX_PEERS). */
  maxPeers?: number
  now?: () => number
}

const SOURCES: readonly PeerSource[] = ['pub', 'manual', 'local', 'seed', 'friends', 'stored']
/** A stronger source replaces the address and source of an entry found another way. */
const STRENGTH: Record<PeerSource, number> = { pub: 0, stored: 0, friends: 1, local: 2, seed: 3, manual: 4 }
const MAX_ANNOUNCERS = 1_000_000

/** How much a peer is worth keeping: peers that worked and were announced often stay. */
export function peerValue(p: PeerRecord): number {
  return (p.duration && p.duration.mean > 0 ? 100 : 0) + Math.min(p.announcers, 20) - 2 * p.failure
}

/**
 * The known peers, one record per key. Bounded: when full, a new `pub` address only replaces
 * an evictable (`pub`/`stored`, not connected) entry worth less than a fresh one, so a flood of
 * hostile pub messages can churn only the worthless part of the table; other sources evict the
 * least valuable evictable entry or fail with GOSSIP_TABLE_FULL.
 */
export class PeerTable {
  readonly #byKey = new Map<string, PeerRecord>()
  readonly #listeners = new Set<(change: PeerChange) => void>()
  readonly #ownId: string | undefined
  readonly #max: number
  readonly #now: () => number
  #version = 0

  constructor(opts: PeerTableOptions = {}) {
    const max = opts.maxPeers ?? DEFAULT_MAX_PEERS
    if (!Number.isInteger(max) || max < 1) throw new GossipError('GOSSIP_INVALID_OPTIONS', `maxPeers must be a positive integer, got ${String(max)}`)
    this.#ownId = opts.ownId
    this.#max = max
    this.#now = opts.now ?? Date.now
  }

  get size(): number {
    return this.#byKey.size
  }

  /** Bumped on every change: lets a saver skip writes when nothing changed. */
  get version(): number {
    return this.#version
  }

  peers(): PeerRecord[] {
    return [...this.#byKey.values()]
  }

  get(key: string): PeerRecord | undefined {
    return this.#byKey.get(key)
  }

  /** Subscribes to table changes (gossip.changes); returns the unsubscribe function. */
  onChange(listener: (change: PeerChange) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Adds an address (any form parseAddresses takes). Returns the record, or null for our own
   * key or a `pub` address the full table has no room for. Throws GOSSIP_INVALID_ADDRESS.
   */
  add(input: unknown, source: PeerSource = 'manual'): PeerRecord | null {
    if (!SOURCES.includes(source)) throw new GossipError('GOSSIP_INVALID_OPTIONS', `unknown peer source ${JSON.stringify(source)}`)
    const alternatives = parseAddresses(input)
    const first = alternatives[0]!
    if (first.key === this.#ownId) return null
    const same = alternatives.filter((a) => a.key === first.key)
    const address = same.map((a) => a.address).join(';')
    const existing = this.#byKey.get(first.key)
    if (existing) {
      if (STRENGTH[source] > STRENGTH[existing.source]) {
        existing.source = source
        this.#setAddress(existing, address, same)
      } else if (source !== 'local' && existing.source !== 'local') {
        existing.announcers = Math.min(existing.announcers + 1, MAX_ANNOUNCERS)
      }
      this.#touch()
      return existing
    }
    if (this.#byKey.size >= this.#max && !this.#evictFor(source)) {
      if (source === 'pub' || source === 'stored') return null
      throw new GossipError('GOSSIP_TABLE_FULL', `the peer table is full (${this.#max} peers) and nothing can be evicted`)
    }
    const dial = same.find((a) => a.transport === 'net') ?? first
    const peer: PeerRecord = { address, key: first.key, host: dial.host, port: dial.port, source, announcers: 1, failure: 0, duration: null }
    this.#byKey.set(peer.key, peer)
    this.#touch()
    this.#emit({ type: 'discover', peer, source })
    return peer
  }

  /** Restores a record from `gossip.json` (ssb-gossip's or ours), keeping its history. */
  restore(saved: unknown): PeerRecord | null {
    if (!saved || typeof saved !== 'object') return null
    const o = saved as Record<string, unknown>
    const source = SOURCES.includes(o.source as PeerSource) && o.source !== 'local' ? (o.source as PeerSource) : 'stored'
    let peer: PeerRecord | null
    try {
      peer = this.add(typeof o.address === 'string' ? o.address : { host: o.host, port: o.port, key: o.key }, source)
    } catch {
      return null
    }
    if (!peer) return null
    if (Number.isInteger(o.announcers) && (o.announcers as number) > 0) peer.announcers = Math.min(o.announcers as number, MAX_ANNOUNCERS)
    if (Number.isInteger(o.failure) && (o.failure as number) >= 0) peer.failure = Math.min(o.failure as number, 64)
    if (typeof o.stateChange === 'number' && Number.isFinite(o.stateChange)) peer.stateChange = o.stateChange
    if (isStats(o.duration)) peer.duration = o.duration
    return peer
  }

  remove(key: string): boolean {
    const peer = this.#byKey.get(key)
    if (!peer) return false
    this.#byKey.delete(key)
    this.#touch()
    this.#emit({ type: 'remove', peer })
    return true
  }

  /** A dial started. */
  connecting(key: string): void {
    const peer = this.#byKey.get(key)
    if (!peer || peer.state === 'connected') return
    peer.state = 'connecting'
    peer.stateChange = this.#now()
    this.#touch()
    this.#emit({ type: 'connecting', peer })
  }

  /** A connection (either direction) is up; a successful dial clears the failure count. */
  connected(key: string, client: boolean): void {
    const peer = this.#byKey.get(key)
    if (!peer || peer.state === 'connected') return
    peer.state = 'connected'
    peer.stateChange = this.#now()
    peer.client = client
    peer.failure = 0
    delete peer.error
    this.#touch()
    this.#emit({ type: 'connect', peer })
  }

  disconnecting(key: string): void {
    const peer = this.#byKey.get(key)
    if (!peer || peer.state !== 'connected') return
    peer.state = 'disconnecting'
    this.#touch()
  }

  /** The last connection to the peer closed: its lifetime goes into `duration`. */
  disconnected(key: string): void {
    const peer = this.#byKey.get(key)
    if (!peer || (peer.state !== 'connected' && peer.state !== 'disconnecting')) return
    const now = this.#now()
    peer.duration = addSample(peer.duration, Math.max(0, now - (peer.stateChange ?? now)))
    peer.state = undefined
    peer.stateChange = now
    this.#touch()
    this.#emit({ type: 'disconnect', peer })
  }

  /** A dial failed (refused, timed out, bad handshake): back-off grows. */
  failed(key: string, err?: unknown): void {
    const peer = this.#byKey.get(key)
    if (!peer || peer.state === 'connected') return
    peer.failure = Math.min(peer.failure + 1, 64)
    peer.state = undefined
    peer.stateChange = this.#now()
    peer.duration = addSample(peer.duration, 0)
    if (err !== undefined) peer.error = err instanceof Error ? err.message : String(err)
    this.#touch()
    this.#emit({ type: 'connect-failure', peer })
  }

  /** Records a ping exchange (gossip.ping) with the peer. */
  pinged(key: string, rtt: number, skew: number): void {
    const peer = this.#byKey.get(key)
    if (!peer) return
    peer.ping = { rtt: addSample(peer.ping?.rtt, rtt), skew: addSample(peer.ping?.skew, skew) }
  }

  /** What `gossip.json` holds: every peer except `local` ones, without connection state. */
  toJSON(): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = []
    for (const p of this.#byKey.values()) {
      if (p.source === 'local') continue
      const o: Record<string, unknown> = { address: p.address, key: p.key, host: p.host, port: p.port, source: p.source, announcers: p.announcers, failure: p.failure, duration: p.duration ?? null }
      if (p.stateChange !== undefined) o.stateChange = p.stateChange
      out.push(o)
    }
    return out
  }

  #setAddress(peer: PeerRecord, address: string, alternatives: PeerAddress[]): void {
    peer.address = address
    const dial = alternatives.find((a) => a.transport === 'net') ?? alternatives[0]!
    peer.host = dial.host
    peer.port = dial.port
  }

  #evictFor(source: PeerSource): boolean {
    let victim: PeerRecord | undefined
    let worst = Infinity
    for (const p of this.#byKey.values()) {
      if ((p.source !== 'pub' && p.source !== 'stored') || p.state !== undefined) continue
      const v = peerValue(p)
      if (v < worst) {
        worst = v
        victim = p
      }
    }
    // A fresh pub entry is worth 1: it may only push out entries that proved worse.
    if (!victim || ((source === 'pub' || source === 'stored') && worst >= 1)) return false
    this.remove(victim.key)
    return true
  }

  #touch(): void {
    this.#version++
  }

  #emit(change: PeerChange): void {
    for (const l of this.#listeners) {
      try {
        l(change)
      } catch {
        // a listener's failure is its own
      }
    }
  }
}

/** Reads `gossip.json` into the table; a missing file is an empty table. Returns how many were restored. */
export async function loadPeerTable(table: PeerTable, file: string): Promise<number> {
  let text: string
  try {
    const handle = await open(file, 'r')
    try {
      const { size } = await handle.stat()
      if (size > MAX_STATE_FILE_BYTES) throw new GossipError('GOSSIP_INVALID_STATE_FILE', `${file} is ${size} bytes, more than ${MAX_STATE_FILE_BYTES}`)
      text = await handle.readFile('utf8')
    } finally {
      await handle.close()
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw err
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new GossipError('GOSSIP_INVALID_STATE_FILE', `${file} is not JSON`, { cause: err })
  }
  if (!Array.isArray(data)) throw new GossipError('GOSSIP_INVALID_STATE_FILE', `${file} must hold an array of peers`)
  let n = 0
  for (const entry of data) if (table.restore(entry)) n++
  return n
}

/** Writes `gossip.json` atomically (temp file + rename), so a crash never leaves half a file. */
export async function savePeerTable(table: PeerTable, file: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`
  try {
    await writeFile(tmp, JSON.stringify(table.toJSON(), null, 2))
    await rename(tmp, file)
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw err
  }
}

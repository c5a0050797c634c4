import { join } from 'node:path'
import { isFeedId } from '@ssb/keys'
import {
  DEFAULT_BROADCAST_ADDRESS,
  GossipError,
  loadPeerTable,
  parseAddresses,
  PeerTable,
  pingSession,
  savePeerTable,
  Scheduler,
  startLan,
  type Lan,
  type PeerRecord,
  type PeerSource,
} from '@ssb/gossip'
import type { Api, CallInfo } from '@ssb/rpc'
import { isLoopbackHost } from './address.js'
import { badArgs, isPlainObject } from './args.js'
import type { PeerConnection } from './listeners.js'
import type { Replication } from './replication.js'
import { changesStream, GOSSIP_MANIFEST, gossipHelp, keyOf, simplify } from './gossip-api.js'
import { gossipSettings, type GossipSettings, persistGossipSwitch, SWITCHES, type Switch } from './gossip-settings.js'
import type { Subsystem, SubsystemContext, SubsystemFactory } from './subsystem.js'

const PEER_SOURCES: readonly PeerSource[] = ['pub', 'manual', 'local', 'seed', 'friends', 'stored']
/** Transports `server.connect` can dial. */
const DIALABLE = new Set(['net', 'ws', 'wss'])
const SAVE_INTERVAL_MS = 60_000
const STATUS_RECENT_MS = 3000
const LOOPBACK_BROADCAST = '127.255.255.255'

export interface Gossip extends Subsystem {
  table: PeerTable
  scheduler: Scheduler
  /** The running LAN discovery, if on. */
  lan(): Lan | undefined
  /** Resolves once start-up work (LAN socket, first schedule) is done. */
  started(): Promise<void>
}

function transportsOf(address: string): string[] {
  return address.split(';').map((alt) => (/^wss?:/.test(alt) ? alt.slice(0, alt.indexOf(':')) : alt.split(':', 1)[0]!))
}

export async function createGossip(ctx: SubsystemContext, settings: GossipSettings = gossipSettings(ctx.config)): Promise<Gossip> {
  const { id, db, logger, server } = ctx
  const abort = new AbortController()
  const stateFile = join(ctx.path, 'gossip.json')
  const table = new PeerTable({ ownId: id, maxPeers: settings.maxPeers })
  const live = new Map<string, Set<PeerConnection>>()
  const replication = ctx.get<Replication>('replication')
  let lan: Lan | undefined
  let lastForeignMessage = 0
  let closed = false

  try {
    const n = await loadPeerTable(table, stateFile)
    if (n > 0) logger.debug('restored peers', { count: n, file: stateFile })
  } catch (err) {
    logger.warn('ignoring unreadable gossip.json', { file: stateFile, reason: (err as Error).message })
  }
  for (const seed of settings.seeds) {
    try {
      table.add(seed, 'seed')
    } catch (err) {
      logger.warn('ignoring bad seed address', { seed, reason: (err as Error).message })
    }
  }

  let hopsCache: { at: number; hops: Record<string, number> } | undefined
  const score = (peer: PeerRecord): number => {
    if (!replication) return 0
    const now = Date.now()
    if (!hopsCache || now - hopsCache.at > settings.intervalMs) hopsCache = { at: now, hops: replication.friends.hops() }
    const h = hopsCache.hops[peer.key]
    if (h === undefined || h < 0) return 0
    return h <= 1 ? 2 : 1
  }

  const scheduler = new Scheduler(
    {
      table,
      score,
      canDial: (peer) => transportsOf(peer.address).some((t) => DIALABLE.has(t)),
      lastActivity: () => lastForeignMessage,
      dial: async (peer, signal) => {
        const conn = await server.connect(peer.address)
        if (signal.aborted) {
          void conn.rpc.close().catch(() => {})
          throw signal.reason as Error
        }
      },
      disconnect: (peer) => {
        for (const conn of live.get(peer.key) ?? []) void conn.rpc.close().catch(() => {})
      },
      logger,
    },
    {
      connections: settings.connections,
      intervalMs: settings.intervalMs,
      dialTimeoutMs: settings.dialTimeoutMs,
      backoffFactorMs: settings.backoffFactorMs,
      backoffMaxMs: settings.backoffMaxMs,
      maxDials: settings.maxDials,
      idleMs: settings.idleMs,
    },
  )
  const applySwitches = () => {
    const s = settings.switches
    scheduler.setSource('seed', s.seed)
    scheduler.setSource('local', s.local)
    scheduler.setSource('friends', s.friends)
    for (const src of ['pub', 'stored', 'manual'] as const) scheduler.setSource(src, s.global)
  }
  applySwitches()

  // A peer added while already connected (it dialled us first) shows as connected.
  table.onChange((c) => {
    if (c.type !== 'discover') return
    const conns = live.get(c.peer.key)
    if (conns && conns.size > 0) table.connected(c.peer.key, [...conns].some((x) => x.isClient))
  })

  const unsubscribe = db.onMessage((kvt) => {
    if (kvt.value.author !== id) lastForeignMessage = Date.now()
  })

  if (settings.switches.pub && !settings.offline) {
    void (async () => {
      try {
        for await (const item of db.messagesByType({ type: 'pub', old: true, live: true, signal: abort.signal })) {
          const value = (isPlainObject(item) && isPlainObject(item.value) ? item.value : item) as { content?: unknown }
          const content = value?.content
          if (!isPlainObject(content) || content.address === undefined) continue
          try {
            table.add(content.address, 'pub')
          } catch {
            // a pub message with a bad address is just ignored, like ssb-gossip does
          }
        }
      } catch (err) {
        if (!abort.signal.aborted) logger.error('pub message stream failed', { err })
      }
    })()
  }

  let lastSavedVersion = table.version
  const save = async () => {
    if (table.version === lastSavedVersion) return
    lastSavedVersion = table.version
    try {
      await savePeerTable(table, stateFile)
    } catch (err) {
      logger.warn('could not save gossip.json', { reason: (err as Error).message })
    }
  }
  const saveTimer = setInterval(() => void save(), SAVE_INTERVAL_MS)
  saveTimer.unref()

  const startLanNow = async () => {
    const announce = () => server.getAddress('private') ?? server.getAddress('local')
    let broadcastAddress = settings.localBroadcast
    if (broadcastAddress === undefined) {
      // A server reachable only on loopback announces itself only on loopback.
      const addr = announce()
      let hosts: string[] = []
      try {
        hosts = addr ? parseAddresses(addr).map((a) => a.host) : []
      } catch {
        hosts = []
      }
      broadcastAddress = hosts.length > 0 && hosts.every(isLoopbackHost) ? LOOPBACK_BROADCAST : DEFAULT_BROADCAST_ADDRESS
    }
    const port = settings.localPort ?? server.port
    if (port === undefined) return
    lan = await startLan(
      {
        ownId: id,
        address: announce,
        onPeer: (address) => {
          try {
            table.add(address, 'local')
          } catch (err) {
            logger.debug('ignoring LAN peer', { reason: (err as Error).message })
          }
        },
        onExpire: (key) => {
          const p = table.get(key)
          if (p?.source === 'local' && p.state === undefined) table.remove(key)
        },
        logger,
      },
      {
        port,
        broadcastAddress,
        ...(settings.localBind === undefined ? {} : { bindAddress: settings.localBind }),
        intervalMs: settings.localIntervalMs,
      },
    )
    if (closed) await lan.close()
    else logger.info('LAN discovery on', { port: lan.port, broadcast: broadcastAddress })
  }

  // Listeners start after every subsystem: LAN needs our port, and dials need the server up.
  const started = server.ready().then(
    async () => {
      if (closed) return
      if (settings.lan && settings.switches.local) {
        await startLanNow().catch((err: unknown) => logger.warn('LAN discovery off', { reason: (err as Error).message }))
      }
      if (!closed && !settings.offline) scheduler.start(abort.signal)
    },
    () => {},
  )

  const setSwitch = (args: unknown[], value: boolean, method: string): string => {
    const type = args[0] === undefined || args[0] === null ? 'global' : args[0]
    if (typeof type !== 'string' || !(SWITCHES as readonly string[]).includes(type)) {
      throw badArgs(`gossip.${method}: type must be one of ${SWITCHES.join(', ')}`)
    }
    settings.switches[type as Switch] = value
    applySwitches()
    if (type === 'global') scheduler.setEnabled(value)
    if (type === 'local') {
      if (!value && lan) {
        const l = lan
        lan = undefined
        void l.close()
      } else if (value && !lan && !closed) {
        void startLanNow().catch((err: unknown) => logger.warn('LAN discovery off', { reason: (err as Error).message }))
      }
    }
    void persistGossipSwitch(ctx.path, type as Switch, value).catch((err: unknown) => logger.warn('could not save the gossip switch', { reason: (err as Error).message }))
    return `${value ? 'enabled' : 'disabled'} gossip type ${type}`
  }

  const addArg = (args: unknown[]): PeerRecord | null => {
    const source = args[1] === undefined || args[1] === null ? 'manual' : args[1]
    if (typeof source !== 'string' || !PEER_SOURCES.includes(source as PeerSource)) {
      throw badArgs(`gossip.add: source must be one of ${PEER_SOURCES.join(', ')}`)
    }
    try {
      return table.add(args[0], source as PeerSource)
    } catch (err) {
      if (err instanceof GossipError) throw badArgs(`gossip.add: ${err.message}`)
      throw err
    }
  }

  const api: Api = {
    gossip: {
      peers: () => table.peers(),
      get: (args: unknown[]) => table.get(keyOf(args[0], 'get')) ?? null,
      add: (args: unknown[]) => addArg(args),
      remove: (args: unknown[]) => table.remove(keyOf(args[0], 'remove')),
      connect: async (args: unknown[]) => {
        const arg = args[0]
        let peer: PeerRecord | null | undefined
        if (isFeedId(arg)) {
          peer = table.get(arg)
          if (!peer) throw badArgs(`gossip.connect: no known address for peer ${arg}`)
        } else {
          peer = addArg([arg, 'manual'])
          if (!peer) throw badArgs('gossip.connect: that is our own address')
        }
        if (peer.state !== 'connected') await scheduler.dial(peer)
        return simplify(peer)
      },
      disconnect: async (args: unknown[]) => {
        const key = keyOf(args[0], 'disconnect')
        table.disconnecting(key)
        await Promise.all([...(live.get(key) ?? [])].map((c) => c.rpc.close().catch(() => {})))
        return null
      },
      changes: (_args: unknown[], call: CallInfo) => changesStream(table, call.signal),
      reconnect: () => {
        for (const conns of live.values()) for (const c of conns) void c.rpc.close().catch(() => {})
        return Date.now()
      },
      enable: (args: unknown[]) => setSwitch(args, true, 'enable'),
      disable: (args: unknown[]) => setSwitch(args, false, 'disable'),
      ping: (_args: unknown[], call: CallInfo, input: AsyncIterable<unknown>) => {
        const session = pingSession({
          serve: false,
          intervalMs: settings.pingMs,
          signal: call.signal,
          onSample: (rtt, skew) => table.pinged(call.remoteId, rtt, skew),
        })
        void session.run(input).catch(() => {})
        return session.output
      },
      help: () => gossipHelp(),
    },
  }

  const startPing = (conn: PeerConnection) => {
    const ac = new AbortController()
    void conn.rpc.whenClosed().then(() => ac.abort())
    const session = pingSession({
      serve: true,
      intervalMs: settings.pingMs,
      signal: ac.signal,
      onSample: (rtt, skew) => table.pinged(conn.id, rtt, skew),
    })
    try {
      const remote = conn.rpc.duplex(['gossip', 'ping'], [{ timeout: settings.pingMs }], session.output)
      void session.run(remote).catch(() => ac.abort())
    } catch {
      ac.abort()
    }
  }

  return {
    name: 'gossip',
    manifest: GOSSIP_MANIFEST,
    api,
    anonymous: ['gossip.ping'],
    table,
    scheduler,
    lan: () => lan,
    started: () => started,
    onConnection(conn) {
      if (conn.transport === 'unix' || conn.id === id) return
      let conns = live.get(conn.id)
      if (!conns) live.set(conn.id, (conns = new Set()))
      conns.add(conn)
      table.connected(conn.id, conn.isClient)
      // The dialling side keeps the connection busy so the inactivity timeout spares it (§11).
      if (conn.isClient) startPing(conn)
      void conn.rpc.whenClosed().then(() => {
        const set = live.get(conn.id)
        set?.delete(conn)
        if (set && set.size === 0) {
          live.delete(conn.id)
          table.disconnected(conn.id)
        }
      })
    },
    status() {
      // ssb-gossip's shape (connected and recently changed peers by id), plus whether EBT runs with each.
      const now = Date.now()
      const ebtPeers = new Set<string>(replication?.ebt.peers() ?? [])
      const out: Record<string, unknown> = {}
      for (const p of table.peers()) {
        if (p.state !== undefined || (p.stateChange ?? 0) + STATUS_RECENT_MS > now) out[p.key] = { ...simplify(p), ebt: ebtPeers.has(p.key) }
      }
      return out
    },
    async close() {
      closed = true
      abort.abort()
      scheduler.stop()
      unsubscribe()
      clearInterval(saveTimer)
      await lan?.close()
      lan = undefined
      await save()
    },
  }
}

/** The `gossip` subsystem: peer table, scheduler, LAN discovery and the ssb-gossip RPC. */
export const gossipSubsystem: SubsystemFactory = {
  name: 'gossip',
  manifest: GOSSIP_MANIFEST,
  create: (ctx) => createGossip(ctx),
}

import { rename } from 'node:fs/promises'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import type { Db } from '@ssb/db'
import {
  acceptInvite,
  dialNet,
  formatLegacyInvite,
  InviteError,
  type InviteTable,
  MAX_HOST_LENGTH,
  openInviteTable,
  type PubAddress,
  pubMessageAddress,
} from '@ssb/invite'
import { type FeedId, fromBase64, toBase64 } from '@ssb/keys'
import type { Api, CallInfo, Manifest } from '@ssb/rpc'
import { mainNetCaps } from '@ssb/shs'
import { isPrivateHost, parseNetAddress } from './address.js'
import { badArgs, feedIdArg, isPlainObject } from './args.js'
import type { Logger } from './logger.js'
import type { Replication } from './replication.js'
import type { Subsystem, SubsystemFactory } from './subsystem.js'
import { toNumber } from './util.js'
import { DEFAULT_WS_MAX_PAYLOAD, openWebSocket, WebSocketDuplex } from './ws.js'

/** ssb-invite 2's manifest (protocol.md §12). */
export const INVITE_MANIFEST: Manifest = { invite: { create: 'async', use: 'async', accept: 'async' } }

/** File in the store directory that holds the pub's invites. */
export const INVITE_TABLE_FILE = 'invites.json'

/** Feeds followed through invite.use recently: the follow graph learns of a new contact a moment after publish. */
const RECENT_FOLLOWS = 1024

export interface InviteDeps {
  id: FeedId
  db: Db
  logger: Logger
  /** Where the invite table lives. */
  dir: string
  /** Our addresses by scope (`server.getAddress`). */
  getAddress(scope: string): string | null
  /** Dials a peer with our own key (`server.connect`). */
  connect(address: string): Promise<unknown>
  isFollowing(feed: FeedId): boolean
  /** Tells gossip about the pub (source `seed`, as ssb-invite does), if gossip runs. */
  addPeer?(address: string): void
}

export interface InviteOptions {
  caps: Uint8Array
  /** ssb-invite's `allowPrivate`: hand out codes for private, loopback and LAN addresses. */
  allowPrivate: boolean
  /** Per attempt, when accepting (config `timers.handshake`). */
  connectTimeoutMs: number
}

/** An InviteError the caller may read: sent as `{name: 'InviteError', message}`. */
function exposed(err: unknown): unknown {
  if (err instanceof InviteError) return Object.assign(err, { expose: true })
  return err
}

function refuse(code: ConstructorParameters<typeof InviteError>[0], message: string): Error {
  return exposed(new InviteError(code, message)) as Error
}

/** Dials a pub for the guest connection: TCP, or a WebSocket for "modern" (ws) codes. */
async function dialPub(pub: PubAddress, signal: AbortSignal): Promise<Duplex> {
  if (pub.transport !== 'ws' && pub.transport !== 'wss') return dialNet(pub, signal)
  const host = pub.host.includes(':') && !pub.host.startsWith('[') ? `[${pub.host}]` : pub.host
  const ws = await openWebSocket(`${pub.transport}://${host}:${pub.port}`, { maxPayload: DEFAULT_WS_MAX_PAYLOAD, signal })
  const stream = new WebSocketDuplex(ws)
  stream.on('error', () => {}) // surfaces through the handshake and RPC
  return stream
}

/**
 * ssb-invite 2 on our server. A pub hands out codes with `invite.create`; a guest connects with
 * the code's seed key and calls `invite.use({feed})` (the one method strangers reach here, and
 * only invite guests get past its check); `invite.accept(code)` is the guest side for our own
 * user: use the code, follow and announce the pub, and dial it.
 */
export async function createInvite(deps: InviteDeps, opts: InviteOptions): Promise<Subsystem> {
  const { id, db, logger } = deps
  const file = join(deps.dir, INVITE_TABLE_FILE)
  let table: InviteTable
  try {
    table = await openInviteTable(file)
  } catch (err) {
    if (!(err instanceof InviteError) || err.code !== 'INVITE_CORRUPT_TABLE') throw err
    // Unusable table: keep it for inspection, start empty (outstanding codes stop working).
    const aside = `${file}.corrupt-${Date.now()}`
    await rename(file, aside)
    logger.error('invite table unreadable, moved aside', { file: aside, reason: err.message })
    table = await openInviteTable(file)
  }

  const recent = new Set<string>()
  let useQueue: Promise<unknown> = Promise.resolve()
  const serialUse = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = useQueue.then(fn, fn)
    useQueue = run.catch(() => {})
    return run
  }

  function inviteAddress(): string | null {
    return opts.allowPrivate
      ? deps.getAddress('public') ?? deps.getAddress('local') ?? deps.getAddress('private')
      : deps.getAddress('public')
  }

  async function create(args: unknown[], call: CallInfo): Promise<string> {
    if (!call.isMaster) throw refuse('INVITE_BAD_OPTIONS', 'invite.create: only the server owner may create invites')
    const a = args[0]
    let o: Record<string, unknown>
    if (a === undefined || a === null) o = {}
    else if (typeof a === 'number') o = { uses: a }
    else if (isPlainObject(a)) o = { ...a }
    else throw badArgs('invite.create: expected a number of uses or {uses, note, external, modern}')
    if (o.modern === true) o.uses = 1
    if (o.external !== undefined && (typeof o.external !== 'string' || o.external === '' || o.external.length > MAX_HOST_LENGTH || /[\s~;]/.test(o.external))) {
      throw badArgs('invite.create: external must be a host name or IP address')
    }

    const all = inviteAddress()
    if (!all) {
      throw refuse(
        'INVITE_BAD_OPTIONS',
        'no address available for creating an invite,configuration needed for server.\nsee: https://github.com/ssbc/ssb-config/#connections',
      )
    }
    const target = parseNetAddress(all, fromBase64)
    if (!target) throw refuse('INVITE_BAD_OPTIONS', `Could not parse host portion from server address:${all}`)
    const host = typeof o.external === 'string' ? o.external : target.host
    if (!opts.allowPrivate && isPrivateHost(host)) {
      throw refuse('INVITE_BAD_OPTIONS', 'Server has no public ip address, cannot create useable invitation')
    }
    let wsAddress: string | undefined
    if (o.modern === true) {
      wsAddress = all.split(';').find((x) => /^wss?:/.test(x))
      if (!wsAddress) throw refuse('INVITE_BAD_OPTIONS', `not a ws address:${all} (modern invites need a ws listener)`)
    }
    let created
    try {
      created = await table.create({ uses: o.uses as number | undefined, note: o.note })
    } catch (err) {
      throw exposed(err)
    }
    logger.info('invite created', { guest: created.guest.id, uses: created.record.total })
    if (wsAddress) return `${wsAddress}:${toBase64(created.seed)}`
    return formatLegacyInvite({ host, port: target.port, key: id }, created.seed)
  }

  async function use(args: unknown[], call: CallInfo): Promise<unknown> {
    const guest = call.remoteId
    const record = table.get(guest)
    if (!record) throw refuse('INVITE_UNKNOWN', 'invite.use: only invite guests may call this (connect with the key from an invite code)')
    const req = args[0]
    if (!isPlainObject(req)) throw badArgs('invite.use: expected {feed}')
    if (req.feed === undefined || req.feed === null || req.feed === '') throw refuse('INVITE_BAD_OPTIONS', 'feed to follow is missing')
    const feed = feedIdArg(req.feed, 'invite.use') as FeedId
    return serialUse(async () => {
      let used
      try {
        used = await table.use(guest, () => {
          if (feed === id || deps.isFollowing(feed) || recent.has(feed)) throw new InviteError('INVITE_ALREADY_FOLLOWING', 'already following')
        })
      } catch (err) {
        throw exposed(err)
      }
      logger.info('invite used', { guest, feed, used: used.used, total: used.total })
      const msg = await db.publish({
        type: 'contact',
        contact: feed,
        following: true,
        pub: true,
        ...(used.note ? { note: used.note } : {}),
      })
      recent.add(feed)
      if (recent.size > RECENT_FOLLOWS) recent.delete(recent.values().next().value!)
      return msg
    })
  }

  async function accept(args: unknown[], call: CallInfo): Promise<unknown> {
    if (!call.isMaster) throw refuse('INVITE_BAD_OPTIONS', 'invite.accept: only the server owner may accept invites')
    const a = args[0]
    const code = isPlainObject(a) ? a.invite : a
    if (typeof code !== 'string') throw badArgs('invite.accept: expected an invite code')
    let accepted
    try {
      accepted = await acceptInvite(code, { keys: { id }, caps: opts.caps, timeoutMs: opts.connectTimeoutMs, signal: call.signal, connect: dialPub })
    } catch (err) {
      throw exposed(err)
    }
    logger.info('invite accepted', { pub: accepted.pub.key, address: accepted.remote })
    const follow = await db.publish({ type: 'contact', following: true, autofollow: true, contact: accepted.pub.key })
    const pub = await db.publish({ type: 'pub', address: pubMessageAddress(accepted.pub) })
    deps.addPeer?.(accepted.remote)
    if (accepted.pub.transport !== 'onion') {
      deps.connect(accepted.remote).catch((err: unknown) => logger.info('could not connect to the pub after accepting', { address: accepted.remote, reason: (err as Error).message }))
    }
    return [follow, pub]
  }

  const api: Api = { invite: { create, use, accept } }
  return {
    name: 'invite',
    manifest: INVITE_MANIFEST,
    api,
    anonymous: ['invite.use'],
    status: () => ({ invites: table.size, usable: table.usable }),
    close: () => table.close(),
  }
}

export const inviteSubsystem: SubsystemFactory = {
  name: 'invite',
  manifest: INVITE_MANIFEST,
  create: ({ id, db, logger, storeDir, server, config, get }) => {
    const replication = get<Replication>('replication')
    return createInvite(
      {
        id,
        db,
        logger,
        dir: storeDir,
        getAddress: (scope) => server.getAddress(scope),
        connect: (address) => server.connect(address),
        isFollowing: (feed) => replication?.friends.isFollowing({ source: id, dest: feed }) ?? false,
        addPeer: (address) => {
          const gossip = get<Subsystem & { table?: { add?(input: unknown, source: string): unknown } }>('gossip')
          try {
            gossip?.table?.add?.(address, 'seed')
          } catch (err) {
            logger.info('gossip did not take the pub address', { address, reason: (err as Error).message })
          }
        },
      },
      {
        caps: config.caps?.shs ? fromBase64(config.caps.shs) : mainNetCaps(),
        allowPrivate: config.allowPrivate === true || config.allowPrivate === 'true',
        connectTimeoutMs: toNumber(config.timers?.handshake, 5000),
      },
    )
  },
}

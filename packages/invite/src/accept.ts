import { connect as netConnect } from 'node:net'
import type { Duplex } from 'node:stream'
import { type FeedId, isFeedId } from '@ssb/keys'
import { createRpc, RpcError, type RpcConnection } from '@ssb/rpc'
import { shsClient } from '@ssb/shs'
import { type ParsedInvite, parseInviteCode, type PubAddress } from './code.js'
import { DEFAULT_ACCEPT_RETRIES, DEFAULT_ACCEPT_TIMEOUT_MS, DEFAULT_USE_TIMEOUT_MS, RETRY_DELAY_MS } from './constants.js'
import { InviteError } from './errors.js'
import { guestKeys } from './table.js'

/** Opens a byte stream to the pub; the default dials `net` addresses over TCP. */
export type InviteDialer = (pub: PubAddress, signal: AbortSignal) => Promise<Duplex>

export interface AcceptInviteOptions {
  /** Our real identity: its id is what the pub is asked to follow (the connection uses the guest key). */
  keys: { id: FeedId }
  /** The 32-byte SHS network key. */
  caps: Uint8Array
  /** Replaces the TCP dialer (e.g. for ws codes). */
  connect?: InviteDialer
  signal?: AbortSignal
  /** Attempts to reach the pub (default 3, as ssb-invite). Refusals by the pub are not retried. */
  retries?: number
  /** Per attempt: TCP connect plus handshake (default 5 s). */
  timeoutMs?: number
  /** How long the pub has to answer `invite.use` (default 30 s). */
  useTimeoutMs?: number
  /** Pause before the second attempt; doubles after that (default 500 ms). */
  retryDelayMs?: number
}

export interface AcceptedInvite {
  invite: ParsedInvite
  /** The pub's address and id. */
  pub: PubAddress
  /** The pub's multiserver address (without the seed): dial it with our real key to replicate. */
  remote: string
  /** The pub's answer to `invite.use`: its contact message following us (a KVT). */
  reply: unknown
}

const GUEST_REMOTE_MANIFEST = { invite: { use: 'async' }, getAddress: 'async' } as const

function aborted(signal: AbortSignal | undefined): InviteError {
  return new InviteError('INVITE_ABORTED', 'accepting the invite was aborted', { cause: signal?.reason })
}

/** The default dialer: TCP for `net` codes (others need a `connect` function). */
export function dialNet(pub: PubAddress, signal: AbortSignal): Promise<Duplex> {
  if (pub.transport !== 'net') {
    return Promise.reject(new InviteError('INVITE_UNSUPPORTED_TRANSPORT', `cannot dial ${pub.transport} addresses (pass a connect function)`))
  }
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: pub.host, port: pub.port, noDelay: true })
    const onAbort = () => {
      socket.destroy()
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
    }
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    socket.once('error', (err) => {
      signal.removeEventListener('abort', onAbort)
      reject(err)
    })
    socket.once('connect', () => {
      signal.removeEventListener('abort', onAbort)
      socket.on('error', () => {}) // later errors surface through the handshake and RPC
      resolve(socket)
    })
  })
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted(signal))
    const onAbort = () => {
      clearTimeout(timer)
      reject(aborted(signal))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** One attempt: TCP (or the custom dialer) and SHS as the guest, within `timeoutMs`. */
async function openGuestConnection(invite: ParsedInvite, opts: AcceptInviteOptions, timeoutMs: number): Promise<RpcConnection> {
  const timer = new AbortController()
  const t = setTimeout(() => timer.abort(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs)
  const signal = opts.signal ? AbortSignal.any([opts.signal, timer.signal]) : timer.signal
  try {
    const stream = await (opts.connect ?? dialNet)(invite, signal)
    const { stream: boxed } = await shsClient(stream, {
      keys: guestKeys(invite.seed),
      serverPublicKey: invite.publicKey,
      caps: opts.caps,
      timeoutMs,
      signal,
    })
    return createRpc(
      { stream: boxed },
      {
        manifest: {},
        remoteManifest: GUEST_REMOTE_MANIFEST,
        context: { remoteId: invite.key },
        permissions: { allow: [] },
        closeTimeoutMs: 2_000,
      },
    )
  } finally {
    clearTimeout(t)
  }
}

/**
 * The guest side of an invite (ssb-invite's `accept` without the publishing): connects to the
 * pub with the key pair derived from the code's seed — not our own key, which the pub does
 * not know yet (protocol.md trap 17) — asks it to follow `keys.id` with `invite.use({feed})`,
 * and closes that connection. Connection failures are retried; a refusal by the pub is not.
 * The caller then follows the pub, announces it, and dials `remote` with its real key.
 */
export async function acceptInvite(code: string, opts: AcceptInviteOptions): Promise<AcceptedInvite> {
  const invite = parseInviteCode(code)
  if (!isFeedId(opts.keys?.id)) throw new InviteError('INVITE_BAD_OPTIONS', 'keys.id must be our feed id (@….ed25519)')
  if (!(opts.caps instanceof Uint8Array) || opts.caps.length !== 32) throw new InviteError('INVITE_BAD_OPTIONS', 'caps must be 32 bytes')
  const retries = Math.max(1, Math.floor(opts.retries ?? DEFAULT_ACCEPT_RETRIES))
  const timeoutMs = opts.timeoutMs ?? DEFAULT_ACCEPT_TIMEOUT_MS
  const baseDelay = opts.retryDelayMs ?? RETRY_DELAY_MS

  let rpc: RpcConnection | undefined
  let lastError: unknown
  for (let attempt = 1; attempt <= retries && !rpc; attempt++) {
    if (opts.signal?.aborted) throw aborted(opts.signal)
    try {
      rpc = await openGuestConnection(invite, opts, timeoutMs)
    } catch (err) {
      if (opts.signal?.aborted) throw aborted(opts.signal)
      if (err instanceof InviteError && err.code === 'INVITE_UNSUPPORTED_TRANSPORT') throw err
      lastError = err
      if (attempt < retries) await delay(baseDelay * 2 ** (attempt - 1), opts.signal)
    }
  }
  if (!rpc) {
    const reason = lastError instanceof Error ? lastError.message : String(lastError)
    throw new InviteError('INVITE_CONNECT_FAILED', `could not connect to the pub at ${invite.remote} (${retries} attempts): ${reason}`, { cause: lastError })
  }

  const useTimeoutMs = opts.useTimeoutMs ?? DEFAULT_USE_TIMEOUT_MS
  const callSignal = AbortSignal.any([AbortSignal.timeout(useTimeoutMs), ...(opts.signal ? [opts.signal] : [])])
  try {
    const reply = await rpc.call(['invite', 'use'], [{ feed: opts.keys.id }], { signal: callSignal })
    return { invite, pub: { transport: invite.transport, host: invite.host, port: invite.port, key: invite.key }, remote: invite.remote, reply }
  } catch (err) {
    if (opts.signal?.aborted) throw aborted(opts.signal)
    const timedOut = callSignal.aborted
    const message = timedOut ? `the pub did not answer within ${useTimeoutMs} ms` : err instanceof RpcError && err.code === 'RPC_CLOSED' ? 'the pub closed the connection' : (err as Error).message
    throw new InviteError('INVITE_REJECTED', `invite not accepted: ${message}`, { cause: err })
  } finally {
    await rpc.close().catch(() => rpc!.close(new Error('closing the guest connection')).catch(() => {}))
  }
}

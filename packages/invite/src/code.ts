import { type FeedId, feedIdToPublicKey, fromBase64, isCanonicalBase64, publicKeyToFeedId, toBase64 } from '@ssb/keys'
import { MAX_HOST_LENGTH, MAX_INVITE_CODE_LENGTH } from './constants.js'
import { InviteError } from './errors.js'

export type InviteTransport = 'net' | 'onion' | 'ws' | 'wss'

/** Where a pub listens: what an invite code names besides the seed. */
export interface PubAddress {
  transport: InviteTransport
  /** Bare host: no `ws://` prefix, IPv6 raw (`::1`). */
  host: string
  port: number
  /** The pub's feed id, which is also its SHS public key. */
  key: FeedId
}

export interface ParsedInvite extends PubAddress {
  /** How the code was written: legacy `host:port:@key~seed`, or a multiserver address with the seed. */
  format: 'legacy' | 'multiserver'
  publicKey: Uint8Array
  /** 32 bytes; the guest key pair is `crypto_sign_seed_keypair(seed)` (see guestKeys). */
  seed: Uint8Array
  /** The pub's multiserver address without the seed: what to dial once the invite is used. */
  remote: string
  /** The code in multiserver form (what ssb-invite converts legacy codes to). */
  invite: string
  /** Anything after `#` (old web redirects), kept but unused. */
  redirect: string | null
}

const LEGACY_SEED_RX = /^[A-Za-z0-9/+]{43}=$/
const HOST_RX = /^[A-Za-z0-9._\-:%[\]]+$/

function bad(message: string): InviteError {
  return new InviteError('INVITE_BAD_CODE', message)
}

function checkHost(host: string, what: string): string {
  if (host === '' || host.length > MAX_HOST_LENGTH || !HOST_RX.test(host)) throw bad(`${what}: invalid host ${JSON.stringify(host.slice(0, 60))}`)
  return host
}

function checkPort(port: string, what: string): number {
  const n = /^\d{1,5}$/.test(port) ? Number(port) : NaN
  if (!(n >= 1 && n <= 65535)) throw bad(`${what}: invalid port ${JSON.stringify(port.slice(0, 10))}`)
  return n
}

function decode32(b64: string | undefined, what: string): Uint8Array {
  if (b64 === undefined || !isCanonicalBase64(b64, 32)) throw bad(`${what}: expected canonical base64 of 32 bytes`)
  return fromBase64(b64)
}

/** `net:host:port~shs:key` (`ws://host:port…`, `onion:…`); IPv6 hosts raw, as multiserver writes them. */
export function formatAddress(addr: PubAddress): string {
  const key = addr.key.slice(1, -'.ed25519'.length)
  const transport = addr.transport === 'ws' || addr.transport === 'wss' ? `${addr.transport}://${addr.host}` : `${addr.transport}:${addr.host}`
  return `${transport}:${addr.port}~shs:${key}`
}

/**
 * The code `ssb-invite` 2's `create` returns: `host:port:@key.ed25519~<seed>`. Every ssb-invite
 * version and ssb-client accepts it, so it is what a pub should hand out.
 */
export function formatLegacyInvite(addr: Omit<PubAddress, 'transport'>, seed: Uint8Array): string {
  checkHost(addr.host, 'invite')
  if (seed.length !== 32) throw new InviteError('INVITE_BAD_OPTIONS', `seed must be 32 bytes, got ${seed.length}`)
  return `${addr.host}:${addr.port}:${addr.key}~${toBase64(seed)}`
}

/** The multiserver form `net:host:port~shs:<key>:<seed>` (for ws: the "modern" invite). */
export function formatMultiserverInvite(addr: PubAddress, seed: Uint8Array): string {
  checkHost(addr.host, 'invite')
  if (seed.length !== 32) throw new InviteError('INVITE_BAD_OPTIONS', `seed must be 32 bytes, got ${seed.length}`)
  return `${formatAddress(addr)}:${toBase64(seed)}`
}

/**
 * The `address` of the `pub` message a guest publishes after accepting, as ssb-ref's
 * parseAddress gives it: ws hosts keep their `ws://` prefix.
 */
export function pubMessageAddress(addr: PubAddress): { host: string; port: number; key: FeedId } {
  const host = addr.transport === 'ws' || addr.transport === 'wss' ? `${addr.transport}://${addr.host}` : addr.host
  return { host, port: addr.port, key: addr.key }
}

function parseLegacy(body: string): Omit<ParsedInvite, 'format' | 'invite' | 'remote' | 'redirect'> | null {
  const parts = body.split('~')
  if (parts.length !== 2 || !LEGACY_SEED_RX.test(parts[1]!)) return null
  const fields = parts[0]!.split(':')
  if (fields.length < 3 || !fields[fields.length - 1]!.startsWith('@')) return null
  const keyText = fields[fields.length - 1]!
  let publicKey: Uint8Array
  try {
    publicKey = feedIdToPublicKey(keyText)
  } catch {
    throw bad(`invite: ${JSON.stringify(keyText.slice(0, 60))} is not a feed id`)
  }
  const host = checkHost(fields.slice(0, -2).join(':'), 'invite')
  const port = checkPort(fields[fields.length - 2]!, 'invite')
  return {
    transport: host.endsWith('.onion') ? 'onion' : 'net',
    host,
    port,
    key: publicKeyToFeedId(publicKey),
    publicKey,
    seed: decode32(parts[1], 'invite seed'),
  }
}

function parseMultiserverAlternative(alt: string): Omit<ParsedInvite, 'format' | 'invite' | 'remote' | 'redirect'> | null {
  const parts = alt.split('~')
  if (parts.length !== 2) return null
  const t = parts[0]!.split(':')
  const f = parts[1]!.split(':')
  const name = t[0]
  if (f[0] !== 'shs' || t.length < 3 || (name !== 'net' && name !== 'onion' && name !== 'ws' && name !== 'wss')) return null
  let hostText = t.slice(1, -1).join(':')
  if (name === 'ws' || name === 'wss') {
    if (!hostText.startsWith('//')) return null
    hostText = hostText.slice(2)
  }
  const publicKey = decode32(f[1], 'invite key')
  if (f.length !== 3) throw bad('invite: the shs part must be shs:<key>:<seed>')
  return {
    transport: name,
    host: checkHost(hostText, 'invite'),
    port: checkPort(t[t.length - 1]!, 'invite'),
    key: publicKeyToFeedId(publicKey),
    publicKey,
    seed: decode32(f[2], 'invite seed'),
  }
}

/**
 * Parses every invite form ssb-invite accepts (protocol.md §12): legacy
 * `host:port:@key.ed25519~seed`, multiserver `net:host:port~shs:key:seed`, the "modern"
 * `ws://host:port~shs:key:seed`, with an optional `#redirect` suffix and surrounding quotes
 * (the JS CLI prints codes as JSON strings). Throws INVITE_BAD_CODE with the reason.
 */
export function parseInviteCode(code: unknown): ParsedInvite {
  if (typeof code !== 'string') throw bad(`invite: expected a string, got ${code === null ? 'null' : typeof code}`)
  if (code.length > MAX_INVITE_CODE_LENGTH) throw bad(`invite: longer than ${MAX_INVITE_CODE_LENGTH} characters`)
  let text = code.trim()
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1)
  const hash = text.indexOf('#')
  const redirect = hash === -1 ? null : text.slice(hash)
  const body = hash === -1 ? text : text.slice(0, hash)
  if (!body.includes('~')) throw bad('invite: not an invite code (expected host:port:@key.ed25519~seed or net:host:port~shs:key:seed)')
  const legacy = parseLegacy(body)
  const found = legacy ?? firstAlternative(body)
  if (!found) throw bad('invite: no net, onion or ws address with shs key and seed in the code')
  const remote = formatAddress(found)
  return { ...found, format: legacy ? 'legacy' : 'multiserver', remote, invite: `${remote}:${toBase64(found.seed)}`, redirect }
}

function firstAlternative(body: string): ReturnType<typeof parseMultiserverAlternative> {
  let firstError: unknown
  for (const alt of body.split(';')) {
    try {
      const parsed = parseMultiserverAlternative(alt)
      if (parsed) return parsed
    } catch (err) {
      firstError ??= err
    }
  }
  if (firstError) throw firstError
  return null
}

/** True if `code` parses as an invite code. */
export function isInviteCode(code: unknown): boolean {
  try {
    parseInviteCode(code)
    return true
  } catch {
    return false
  }
}

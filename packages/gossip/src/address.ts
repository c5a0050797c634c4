import { toBase64, type FeedId } from '@ssb/keys'
import { MAX_ADDRESS_LENGTH, MAX_ALTERNATIVES, MAX_HOST_LENGTH, MAX_PARTS } from './constants.js'
import { GossipError } from './errors.js'

/** One `name:data:data` part of a multiserver address (`net:host:port`, `shs:key`). */
export interface MultiserverPart {
  name: string
  data: string[]
}

/** Transports a peer address can name; the server decides which ones it can dial. */
export type TransportKind = 'net' | 'onion' | 'ws' | 'wss'

/** A peer address reduced to what is needed to dial it: a transport, a host and port, and the SHS key. */
export interface PeerAddress {
  transport: TransportKind
  /** Host name or IP (IPv6 without brackets). */
  host: string
  port: number
  /** WebSocket path when it is not `/`. */
  path?: string
  /** The peer's feed id (`@….ed25519`), i.e. the SHS server key. */
  key: FeedId
  /** The same key as 32 bytes. */
  publicKey: Uint8Array
  /** Invite seed (32 bytes) of the `shs:key:seed` form: the guest identity to dial with. */
  seed?: Uint8Array
  /** This alternative in canonical multiserver form (`net:host:port~shs:key[:seed]`). */
  address: string
}

/** A legacy address object as ssb-ref and old `gossip.json` files have it. */
export interface LegacyAddress {
  host: string
  port: number
  key: string
}

const NAME_RX = /^[a-z][a-z0-9-]+$/
// multiserver-address grammar: data characters are `"`…`9` and `<`…`}`; `!` escapes `! ~ : ;`.
const isDataChar = (c: number): boolean => (c >= 0x22 && c <= 0x39) || (c >= 0x3c && c <= 0x7d)
const ESCAPABLE = new Set(['!', '~', ':', ';'])

const HOSTNAME_RX = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/
const IPV4_RX = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
const IPV6_RX = /^[0-9A-Fa-f:.]{2,45}(?:%[A-Za-z0-9_.-]{1,32})?$/

function invalid(message: string): GossipError {
  return new GossipError('GOSSIP_INVALID_ADDRESS', message)
}

function checkLength(s: string): void {
  if (s.length > MAX_ADDRESS_LENGTH) {
    throw new GossipError('GOSSIP_ADDRESS_TOO_LONG', `address is ${s.length} characters, more than the limit of ${MAX_ADDRESS_LENGTH}`)
  }
}

/**
 * Splits a multiserver address into alternatives (`;`) of parts (`~`) of fields (`:`), undoing
 * `!` escapes, exactly as the multiserver-address grammar reads it. Throws GOSSIP_INVALID_ADDRESS
 * for text outside the grammar, so a hostile string never reaches a transport.
 */
export function decodeMultiserver(address: string): MultiserverPart[][] {
  if (typeof address !== 'string') throw invalid(`expected an address string, got ${typeof address}`)
  checkLength(address)
  const alternatives: MultiserverPart[][] = []
  let parts: MultiserverPart[] = []
  let fields: string[] = []
  let field = ''
  const endPart = () => {
    fields.push(field)
    field = ''
    const [name, ...data] = fields
    fields = []
    if (!name || !NAME_RX.test(name)) throw invalid(`bad multiserver protocol name ${JSON.stringify(name ?? '')}`)
    if (parts.length >= MAX_PARTS) throw invalid(`more than ${MAX_PARTS} parts in one address`)
    parts.push({ name, data })
  }
  const endAlternative = () => {
    endPart()
    if (alternatives.length >= MAX_ALTERNATIVES) throw invalid(`more than ${MAX_ALTERNATIVES} alternatives in one address`)
    alternatives.push(parts)
    parts = []
  }
  for (let i = 0; i < address.length; i++) {
    const ch = address[i]!
    if (ch === '!') {
      const next = address[i + 1]
      if (next === undefined || !ESCAPABLE.has(next)) throw invalid(`bad escape at character ${i}`)
      field += next
      i++
    } else if (ch === ':') {
      fields.push(field)
      field = ''
    } else if (ch === '~') {
      endPart()
    } else if (ch === ';') {
      endAlternative()
    } else if (isDataChar(ch.charCodeAt(0))) {
      field += ch
    } else {
      throw invalid(`character ${JSON.stringify(ch)} at ${i} is not allowed in a multiserver address`)
    }
  }
  endAlternative()
  return alternatives
}

const escapeField = (s: string): string => s.replace(/[!~:;]/g, (c) => '!' + c)

/** The inverse of decodeMultiserver (escaping `! ~ : ;` inside fields). */
export function encodeMultiserver(address: MultiserverPart[][]): string {
  return address
    .map((alt) => alt.map((p) => [p.name, ...p.data.map(escapeField)].join(':')).join('~'))
    .join(';')
}

function parsePort(s: string | number | undefined): number {
  const n = typeof s === 'number' ? s : /^\d{1,5}$/.test(s ?? '') ? Number(s) : NaN
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw invalid(`bad port ${JSON.stringify(s)}`)
  return n
}

function checkHost(host: string, transport: TransportKind): string {
  if (host.length === 0) throw invalid('empty host')
  if (host.length > MAX_HOST_LENGTH) throw invalid(`host longer than ${MAX_HOST_LENGTH} characters`)
  if (transport === 'onion') {
    if (!/^[a-z2-7]{16,56}\.onion$/i.test(host)) throw invalid(`bad onion host ${JSON.stringify(host)}`)
    return host
  }
  if (IPV4_RX.test(host) || HOSTNAME_RX.test(host)) return host
  if (host.includes(':') && IPV6_RX.test(host)) return host
  throw invalid(`bad host ${JSON.stringify(host)}`)
}

const KEY_B64_RX = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/

/** Canonical padded base64 of exactly 32 bytes (the unused low bits of the last symbol are zero). */
function decodeKey(b64: string | undefined, what: string): Uint8Array {
  if (b64 === undefined || !KEY_B64_RX.test(b64)) throw invalid(`${what} must be canonical base64 of 32 bytes`)
  return new Uint8Array(Buffer.from(b64, 'base64'))
}

/** Accepts `@….ed25519`, `….ed25519`, bare base64, or 32 bytes. */
function keyBytes(key: unknown): Uint8Array {
  if (key instanceof Uint8Array) {
    if (key.length !== 32) throw invalid('key must be 32 bytes')
    return key
  }
  if (typeof key !== 'string') throw invalid('missing key')
  return decodeKey(key.replace(/^@/, '').replace(/\.ed25519$/, ''), 'key')
}

function wsHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

/**
 * Canonical multiserver text for one address: `net:host:port~shs:key[:seed]` (IPv6 hosts raw, as
 * multiserver writes them), `onion:…`, or `ws://host:port[/path]~shs:key`.
 */
export function formatAddress(a: { transport?: TransportKind; host: string; port: number; key: string | Uint8Array; seed?: Uint8Array; path?: string }): string {
  const transport = a.transport ?? 'net'
  const host = checkHost(a.host, transport)
  const port = parsePort(a.port)
  let shs = `shs:${toBase64(keyBytes(a.key))}`
  if (a.seed !== undefined) {
    if (!(a.seed instanceof Uint8Array) || a.seed.length !== 32) throw invalid('seed must be 32 bytes')
    shs += `:${toBase64(a.seed)}`
  }
  if (transport === 'ws' || transport === 'wss') {
    return `${transport}://${wsHost(host)}:${port}${a.path && a.path !== '/' ? a.path : ''}~${shs}`
  }
  return `${transport}:${host}:${port}~${shs}`
}

/** `b64` is canonical (checked by the caller), so it is the key's text form as is. */
function build(transport: TransportKind, host: string, port: number, publicKey: Uint8Array, b64: string, seed?: Uint8Array, seedB64?: string, path?: string): PeerAddress {
  const p = path !== undefined && path !== '/' ? path : undefined
  const shs = `~shs:${b64}${seedB64 === undefined ? '' : `:${seedB64}`}`
  const out: PeerAddress = {
    transport,
    host,
    port,
    key: `@${b64}.ed25519` as FeedId,
    publicKey,
    address: transport === 'ws' || transport === 'wss' ? `${transport}://${wsHost(host)}:${port}${p ?? ''}${shs}` : `${transport}:${host}:${port}${shs}`,
  }
  if (p !== undefined) out.path = p
  if (seed !== undefined) out.seed = seed
  return out
}

function fromParts(alt: MultiserverPart[]): PeerAddress | null {
  const [t, s] = alt
  if (!t || !s || alt.length !== 2 || s.name !== 'shs') return null
  if (s.data.length < 1 || s.data.length > 2) throw invalid('shs needs a key and at most a seed')
  const publicKey = decodeKey(s.data[0], 'shs key')
  const seedB64 = s.data.length === 2 ? s.data[1] : undefined
  const seed = seedB64 === undefined ? undefined : decodeKey(seedB64, 'shs seed')
  const b64 = s.data[0]!
  if (t.name === 'net' || t.name === 'onion') {
    if (t.data.length < 2) throw invalid(`${t.name} needs a host and a port`)
    const host = checkHost(t.data.slice(0, -1).join(':'), t.name)
    return build(t.name, host, parsePort(t.data[t.data.length - 1]), publicKey, b64, seed, seedB64)
  }
  if (t.name === 'ws' || t.name === 'wss') {
    let url: URL
    try {
      url = new URL(`${t.name}:${t.data.join(':')}`)
    } catch {
      throw invalid(`bad ${t.name} URL`)
    }
    if (!t.data[0]?.startsWith('//') || url.username || url.password || url.search || url.hash) throw invalid(`bad ${t.name} URL`)
    const host = checkHost(url.hostname.replace(/^\[(.*)\]$/, '$1'), t.name)
    const port = url.port ? parsePort(url.port) : t.name === 'wss' ? 443 : 80
    return build(t.name, host, port, publicKey, b64, seed, seedB64, url.pathname)
  }
  return null
}

function fromLegacyString(s: string): PeerAddress {
  const fields = s.split(':')
  if (fields.length < 3) throw invalid('legacy address must be host:port:@key.ed25519')
  const key = fields.pop()!
  const port = fields.pop()!
  if (!/^@.+\.ed25519$/.test(key)) throw invalid('legacy address must end with @key.ed25519')
  return fromObject({ host: fields.join(':'), port, key })
}

function fromObject(o: Record<string, unknown>): PeerAddress {
  if (typeof o.address === 'string' && o.host === undefined) return parseAddresses(o.address)[0]!
  if (typeof o.host !== 'string') throw invalid('address object needs a host')
  let host = o.host
  let transport: TransportKind = 'net'
  const ws = /^(wss?):\/\/(.*)$/.exec(host)
  if (ws) {
    transport = ws[1] as TransportKind
    host = ws[2]!.replace(/^\[(.*)\]$/, '$1')
  } else if (host.endsWith('.onion')) transport = 'onion'
  const port = parsePort(typeof o.port === 'number' ? o.port : String(o.port))
  const publicKey = keyBytes(o.key)
  const seed = o.seed === undefined ? undefined : typeof o.seed === 'string' ? decodeKey(o.seed, 'seed') : keyBytes(o.seed)
  return build(transport, checkHost(host, transport), port, publicKey, toBase64(publicKey), seed, seed === undefined ? undefined : toBase64(seed))
}

/**
 * Every alternative of an address this package understands, in the order given: multiserver
 * (`net`, `onion`, `ws`, `wss` with `shs`; other transports are skipped), legacy
 * `host:port:@key.ed25519`, or an object `{host, port, key}` / `{address}`. Throws
 * GOSSIP_INVALID_ADDRESS when nothing usable is left, so callers never dial half-parsed input.
 */
export function parseAddresses(input: unknown): PeerAddress[] {
  if (typeof input === 'string') {
    checkLength(input)
    if (!input.includes('~') && !input.includes(';')) return [fromLegacyString(input)]
    const out: PeerAddress[] = []
    let firstError: GossipError | undefined
    for (const alt of decodeMultiserver(input)) {
      try {
        const a = fromParts(alt)
        if (a) out.push(a)
      } catch (err) {
        firstError ??= err as GossipError
      }
    }
    if (out.length === 0) throw firstError ?? invalid('no net, onion or ws address with an shs key')
    return out
  }
  if (input && typeof input === 'object' && !Array.isArray(input)) return [fromObject(input as Record<string, unknown>)]
  throw invalid(`expected an address string or {host, port, key}, got ${input === null ? 'null' : typeof input}`)
}

/** The first usable alternative of an address (see parseAddresses). */
export function parseAddress(input: unknown): PeerAddress {
  return parseAddresses(input)[0]!
}

/** parseAddress, or null for anything it rejects. */
export function tryParseAddress(input: unknown): PeerAddress | null {
  try {
    return parseAddress(input)
  } catch {
    return null
  }
}

export function isAddress(input: unknown): boolean {
  return tryParseAddress(input) !== null
}

/** `{host, port, key}` as old peers, `pub` messages and ssb-gossip's status expect. */
export function toLegacyAddress(a: PeerAddress): LegacyAddress {
  return { host: a.transport === 'ws' || a.transport === 'wss' ? `${a.transport}://${wsHost(a.host)}` : a.host, port: a.port, key: a.key }
}

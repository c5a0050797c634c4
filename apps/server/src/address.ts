import { networkInterfaces } from 'node:os'
import { parseAddresses, type PeerAddress } from '@ssb/gossip'

export type Scope = 'device' | 'local' | 'private' | 'public'

/**
 * Whether a host is not reachable from the internet: loopback, RFC 1918, link-local, the
 * unspecified address, IPv6 ULA/link-local and IPv4-mapped forms of those (ssb-invite's
 * `ip.isPrivate` test, plus `localhost` and an empty host).
 */
export function isPrivateHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '')
  if (h === '' || h === 'localhost' || h === '::' || h === '::1') return true
  if (/^(127|10)\./.test(h) || /^192\.168\./.test(h) || /^169\.254\./.test(h) || /^172\.(1[6-9]|2\d|3[01])\./.test(h) || /^0\./.test(h)) return true
  return /^(f[cd][0-9a-f]{2}|fe[89ab][0-9a-f]):/.test(h) || /^::ffff:(127|10|192\.168)\./.test(h)
}

/** Whether a host is this machine's loopback (127/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  return /^127\./.test(host) || host === '::1' || host === 'localhost'
}

/** The host to advertise for a scope, as multiserver-scopes does (device = localhost). */
export function hostForScope(scope: Scope): string | null {
  if (scope === 'device') return 'localhost'
  for (const list of Object.values(networkInterfaces())) {
    for (const iface of list ?? []) {
      if (iface.internal || iface.family !== 'IPv4') continue
      // Non-internal IPv4 interfaces: loopback never shows up here.
      const priv = isPrivateHost(iface.address)
      if ((scope === 'public') === !priv) return iface.address
    }
  }
  return null
}

/** `net:host:port~shs:key` (IPv6 hosts raw, as multiserver writes them). */
export function netAddress(host: string, port: number, publicKeyB64: string): string {
  return `net:${host}:${port}~shs:${publicKeyB64}`
}

/** Whether a listen host serves a scope: an explicit host serves every scope it was configured for. */
export function isWildcardHost(host: string | undefined): boolean {
  return host === undefined || host === '' || host === '::' || host === '0.0.0.0'
}

export interface NetTarget {
  host: string
  port: number
  /** The peer's Ed25519 public key. */
  key: Uint8Array
  /** Canonical multiserver form. */
  address: string
}

export { parseAddress, parseAddresses, tryParseAddress, type PeerAddress, type TransportKind } from '@ssb/gossip'

/**
 * Every alternative of a peer address (protocol.md §3) with its transport kind, for dialling:
 * multiserver (`net`, `onion`, `ws`, `wss` + `shs`), legacy `host:port:@key.ed25519`, or
 * `{host, port, key}`. Empty when nothing is usable. One parser (@ssb/gossip) serves the
 * whole server: `connect`, `multiserver.parse`, gossip and invites.
 */
export function dialTargets(input: unknown): PeerAddress[] {
  try {
    return parseAddresses(input)
  } catch {
    return []
  }
}

/**
 * The first `net` alternative of an address (see dialTargets), or null when there is none.
 * `decodeKey` is kept for callers of the earlier signature; keys are always checked to be
 * canonical base64 of 32 bytes.
 */
export function parseNetAddress(input: unknown, _decodeKey?: (b64: string) => Uint8Array): NetTarget | null {
  const net = dialTargets(input).find((a) => a.transport === 'net')
  // Without an invite seed: the address names the peer in logs and `status().connections`.
  return net ? { host: net.host, port: net.port, key: net.publicKey, address: net.seed ? net.address.slice(0, net.address.lastIndexOf(':')) : net.address } : null
}

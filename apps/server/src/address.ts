import { networkInterfaces } from 'node:os'

export type Scope = 'device' | 'local' | 'private' | 'public'

function isPrivateV4(ip: string): boolean {
  return /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.)/.test(ip)
}

/** The host to advertise for a scope, as multiserver-scopes does (device = localhost). */
export function hostForScope(scope: Scope): string | null {
  if (scope === 'device') return 'localhost'
  for (const list of Object.values(networkInterfaces())) {
    for (const iface of list ?? []) {
      if (iface.internal || iface.family !== 'IPv4') continue
      const priv = isPrivateV4(iface.address)
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

/**
 * Parses the address forms peers use (protocol.md §3): multiserver `net:host:port~shs:key`
 * (first alternative with net+shs wins), legacy `host:port:@key.ed25519`, or `{host, port, key}`.
 * Returns null when there is no dialable net address.
 */
export function parseNetAddress(input: unknown, decodeKey: (b64: string) => Uint8Array): NetTarget | null {
  const build = (host: string, port: number, keyB64: string): NetTarget | null => {
    if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) return null
    let key: Uint8Array
    try {
      key = decodeKey(keyB64)
    } catch {
      return null
    }
    if (key.length !== 32) return null
    return { host, port, key, address: netAddress(host, port, keyB64) }
  }
  if (input && typeof input === 'object') {
    const o = input as { host?: unknown; port?: unknown; key?: unknown }
    if (typeof o.host !== 'string' || typeof o.key !== 'string') return null
    return build(o.host, Number(o.port), o.key.replace(/^@/, '').replace(/\.ed25519$/, ''))
  }
  if (typeof input !== 'string') return null
  for (const alt of input.split(';')) {
    const [transport, transform] = alt.split('~')
    if (transport && transform) {
      const t = transport.split(':')
      const f = transform.split(':')
      if (t[0] === 'net' && t.length >= 3 && f[0] === 'shs' && f[1]) {
        return build(t.slice(1, -1).join(':'), Number(t[t.length - 1]), f[1])
      }
      continue
    }
    const legacy = alt.split(':')
    if (legacy.length >= 3 && legacy[legacy.length - 1]!.startsWith('@')) {
      const key = legacy[legacy.length - 1]!
      return build(legacy.slice(0, -2).join(':'), Number(legacy[legacy.length - 2]), key.slice(1).replace(/\.ed25519$/, ''))
    }
  }
  return null
}

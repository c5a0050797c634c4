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

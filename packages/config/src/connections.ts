// ssb-config 3.4.6 `util/incoming-connections.js`, `util/get-net.js`, `util/get-ws.js` and
// `util/fix-connections.js`: derive connections.incoming from the legacy host/port/ws keys,
// then write host/port/ws back from connections.incoming.
import { ALL_SCOPES, DEFAULT_PORTS } from './constants.js'
import { isPlainObject, type PlainObject } from './deep-extend.js'
import { ConfigError } from './errors.js'
import { isPrivateAddress } from './ip.js'

/** The shape of `os.networkInterfaces()`, which is what ssb-config enumerates. */
export type NetworkInterfaces = Readonly<
  Record<string, ReadonlyArray<{ address: string; internal: boolean; scopeid?: number }> | undefined>
>

// lodash.get: `fallback` only when the value found is undefined (null is kept).
function getPath(obj: unknown, keys: readonly string[], fallback: unknown): unknown {
  let cur: unknown = obj
  for (const key of keys) {
    if (cur === null || cur === undefined) return fallback
    cur = (Object(cur) as PlainObject)[key]
  }
  return cur === undefined ? fallback : cur
}

export function incomingConnections(config: PlainObject, interfaces: NetworkInterfaces): PlainObject {
  const netPort = getPath(config, ['port'], DEFAULT_PORTS.net)
  const wsPort = getPath(config, ['ws', 'port'], DEFAULT_PORTS.ws)
  const incoming: PlainObject = {}
  if (config['host']) {
    incoming['net'] = [{ host: config['host'], port: netPort, scope: [...ALL_SCOPES], transform: 'shs' }]
    incoming['ws'] = [{ host: config['host'], port: wsPort, scope: [...ALL_SCOPES], transform: 'shs' }]
  } else {
    // Scoped IPv6 addresses (fe80::…%eth0) are skipped: binding them fails with EINVAL.
    const items = Object.values(interfaces)
      .flatMap((list) => list ?? [])
      .filter((item) => item.scopeid == null || item.scopeid === 0)
    const entries = (port: unknown): PlainObject[] =>
      items.map((item) => ({
        host: item.address,
        port,
        scope: [item.internal ? 'device' : isPrivateAddress(item.address) ? 'local' : 'public'],
        transform: 'shs',
      }))
    incoming['net'] = entries(netPort)
    incoming['ws'] = entries(wsPort)
  }
  incoming['unix'] = [{ scope: 'device', transform: 'noauth' }]
  return incoming
}

// `transport.scope === s || transport.scope.includes(s)`: ssb-config crashes with a TypeError
// when an entry it inspects is not an object or has no string/array scope.
function hasScope(transport: unknown, transportName: string, scope: string): boolean {
  const s: unknown = isPlainObject(transport) ? transport['scope'] : undefined
  if (s === scope) return true
  if (typeof s === 'string' || Array.isArray(s)) return s.includes(scope)
  throw new ConfigError(
    'CONFIG_BAD_CONNECTIONS',
    `connections.incoming.${transportName} entries need a "scope" (string or array), got ${JSON.stringify(transport)}`,
  )
}

// get-net.js / get-ws.js: prefer a public entry, then local/private, then device.
function pickTransport(config: PlainObject, transportName: string): PlainObject | undefined {
  const conns = getPath(config, ['connections', 'incoming', transportName], [])
  if (!Array.isArray(conns)) {
    throw new ConfigError('CONFIG_BAD_CONNECTIONS', `connections.incoming.${transportName} must be an array`)
  }
  const found =
    conns.find((t) => hasScope(t, transportName, 'public')) ??
    conns.find((t) => ['local', 'private'].some((s) => hasScope(t, transportName, s))) ??
    conns.find((t) => hasScope(t, transportName, 'device'))
  return found as PlainObject | undefined
}

/** fix-connections.js. Mutates `config` (and the chosen incoming entries) like ssb-config. */
export function fixConnections(config: PlainObject): PlainObject {
  const net = pickTransport(config, 'net') ?? {}
  const ws = pickTransport(config, 'ws') ?? {}

  if (net['host'] && !net['port']) net['port'] = config['port'] || DEFAULT_PORTS.net
  // ssb-config falls back to config.port (the net port) here too; kept for compatibility.
  if (ws['host'] && !ws['port']) ws['port'] = config['port'] || DEFAULT_PORTS.ws

  const conflicts: string[] = []
  if (config['host'] && net['host'] && config['host'] !== net['host']) conflicts.push('net host')
  if (config['port'] && net['port'] && config['port'] !== net['port']) conflicts.push('net port')
  const legacyWsPort = getPath(config, ['ws', 'port'], undefined)
  if (config['ws'] && legacyWsPort && ws['port'] && legacyWsPort !== ws['port']) conflicts.push('ws port')
  if (conflicts.length > 0) {
    throw new ConfigError(
      'CONFIG_CONFLICT',
      `conflicting connection settings for: ${conflicts.join(', ')} (host/port/ws.port disagree with connections.incoming)`,
    )
  }

  config['host'] = net['host'] || ws['host']
  config['port'] = net['port']
  config['ws'] = ws
  return config
}

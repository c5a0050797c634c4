/** `ssb-server peers`: the gossip table (`gossip.peers`) as a table a person can read. */
export const PEERS_COMMAND = 'peers'
export const PEERS_METHOD = ['gossip', 'peers']

interface PeerLike {
  address?: unknown
  key?: unknown
  source?: unknown
  state?: unknown
  failure?: unknown
  stateChange?: unknown
}

const COLUMNS = ['ADDRESS', 'SOURCE', 'STATE', 'FAILURES', 'SINCE'] as const

function since(ts: unknown, now: number): string {
  if (typeof ts !== 'number' || !Number.isFinite(ts)) return '-'
  const s = Math.max(0, Math.round((now - ts) / 1000))
  if (s < 120) return `${s}s`
  if (s < 7200) return `${Math.round(s / 60)}m`
  if (s < 172_800) return `${Math.round(s / 3600)}h`
  return `${Math.round(s / 86_400)}d`
}

const text = (v: unknown, fallback = '-') => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : fallback)

/**
 * One line per peer (connected ones first), columns padded to fit; `state` is `-` for peers we
 * are not connected to. Anything that is not a peer list prints as JSON, so a newer server's
 * answer is never hidden.
 */
export function formatPeers(peers: unknown, now = Date.now()): string {
  if (!Array.isArray(peers)) return JSON.stringify(peers, null, 2) + '\n'
  if (peers.length === 0) return 'no known peers\n'
  const rank = (p: PeerLike) => (p.state === 'connected' ? 0 : p.state === 'connecting' ? 1 : 2)
  const rows = (peers as PeerLike[])
    .filter((p) => p && typeof p === 'object')
    .sort((a, b) => rank(a) - rank(b))
    .map((p) => [text(p.address, text(p.key)), text(p.source), text(p.state), text(p.failure, '0'), since(p.stateChange, now)])
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')
  return [line(COLUMNS), ...rows.map(line)].join('\n') + '\n'
}

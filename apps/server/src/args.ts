import { isFeedId, isMsgLink } from '@ssb/keys'
import { RpcError } from '@ssb/rpc'

/** A caller's mistake: safe to send back as `{name, message}`. */
export function badArgs(message: string): RpcError {
  return new RpcError('BAD_ARGS', message, { expose: true })
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)
}

/** The first argument as an options object (`{}` when absent), or a usage error. */
export function optsArg(args: unknown[], method: string): Record<string, unknown> {
  const first = args[0]
  if (first === undefined || first === null) return {}
  if (!isPlainObject(first)) throw badArgs(`${method}: expected an options object`)
  return first
}

export function feedIdArg(value: unknown, method: string): string {
  if (!isFeedId(value)) throw badArgs(`${method}: expected a feed id (@….ed25519), got ${describe(value)}`)
  return value
}

export function msgIdArg(value: unknown, method: string): string {
  if (typeof value !== 'string' || !isMsgLink(value)) throw badArgs(`${method}: expected a message id (%….sha256), got ${describe(value)}`)
  return value
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 60) + '…' : value)
  return value === null ? 'null' : typeof value
}

/** Keeps only the numeric/boolean/string stream options a db query understands. */
export function streamOpts(o: Record<string, unknown>, signal: AbortSignal): Record<string, unknown> & { signal: AbortSignal } {
  const out: Record<string, unknown> & { signal: AbortSignal } = { signal }
  for (const k of ['gt', 'gte', 'lt', 'lte', 'limit', 'seq', 'sequence'] as const) {
    const v = o[k]
    if (v === undefined || v === null) continue
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
    if (typeof n !== 'number' || Number.isNaN(n)) throw badArgs(`option ${k} must be a number`)
    out[k] = n
  }
  for (const k of ['reverse', 'live', 'old', 'keys', 'values', 'private', 'meta'] as const) {
    const v = o[k]
    if (v === undefined || v === null) continue
    if (typeof v !== 'boolean') throw badArgs(`option ${k} must be a boolean`)
    out[k] = v
  }
  for (const k of ['id', 'type', 'source', 'dest', 'rel'] as const) {
    const v = o[k]
    if (v === undefined || v === null) continue
    if (typeof v !== 'string') throw badArgs(`option ${k} must be a string`)
    out[k] = v
  }
  return out
}

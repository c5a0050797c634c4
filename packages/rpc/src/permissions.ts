import type { PermissionCheck, Permissions } from './types.js'

/** The perms object muxrpc's local-api calls before dispatching. */
export interface MuxPerms {
  pre(name: unknown): Error | undefined
  test(name: unknown): Error | undefined
  post(): void
}

/** A call's name from the wire: a path of strings, or one string (ssb-client's `"manifest"`). */
export function namePath(name: unknown): string[] | null {
  if (typeof name === 'string') return [name]
  if (Array.isArray(name) && name.length > 0 && name.every((s) => typeof s === 'string')) return name as string[]
  return null
}

function coversPath(set: Set<string>, path: string[]): boolean {
  let prefix = ''
  for (const part of path) {
    prefix = prefix === '' ? part : `${prefix}.${part}`
    if (set.has(prefix)) return true
  }
  return false
}

/**
 * Checks run before dispatch. The refusal messages are muxrpc's own (protocol.md §6.3), so JS
 * callers that match on them, or just fall back on any error, behave as with ssb-server.
 */
export function compilePermissions(p: Permissions | PermissionCheck | undefined): MuxPerms {
  let allowed: (path: string[]) => boolean
  let denied: (path: string[]) => boolean = () => false
  if (typeof p === 'function') {
    allowed = (path) => {
      try {
        return p(path) === true
      } catch {
        return false
      }
    }
  } else {
    const allow = p?.allow != null ? new Set(p.allow) : null
    const deny = p?.deny != null ? new Set(p.deny) : null
    allowed = allow === null ? () => true : (path) => coversPath(allow, path)
    if (deny !== null) denied = (path) => coversPath(deny, path)
  }
  const pre = (name: unknown): Error | undefined => {
    const path = namePath(name)
    if (path === null) return new Error('invalid method name')
    if (!allowed(path)) return new Error(`method:${String(name)} is not in list of allowed methods`)
    if (denied(path)) return new Error(`method:${String(name)} is on list of disallowed methods`)
    return undefined
  }
  return { pre, test: pre, post: () => {} }
}

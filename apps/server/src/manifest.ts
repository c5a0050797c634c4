import type { Api, Manifest } from '@ssb/rpc'

/**
 * The core methods with the names and types ssb-server 16 publishes (protocol.md §7): secret-stack's
 * own (`auth`, `address`, `manifest`, `multiserver.*`) and ssb-db's. Plugins add their own sections.
 */
export const CORE_MANIFEST: Manifest = {
  auth: 'async',
  address: 'sync',
  getAddress: 'sync',
  manifest: 'sync',
  multiserver: { parse: 'sync', address: 'sync' },
  add: 'async',
  createFeedStream: 'source',
  createHistoryStream: 'source',
  createLogStream: 'source',
  createUserStream: 'source',
  del: 'async',
  get: 'async',
  getLatest: 'async',
  getVectorClock: 'async',
  help: 'sync',
  latest: 'source',
  getFeedState: 'async',
  latestSequence: 'async',
  links: 'source',
  messagesByType: 'source',
  progress: 'sync',
  publish: 'async',
  status: 'sync',
  version: 'sync',
  whoami: 'sync',
}

/**
 * What a peer that is neither us nor a configured master may call (protocol.md §6.5): the
 * union of ssb-server 16's plugins' anonymous lists, limited to methods this server has.
 */
export const ANONYMOUS_METHODS = [
  'manifest',
  'createHistoryStream',
  'gossip.ping',
  'ebt.replicate',
  'blobs.has',
  'blobs.get',
  'blobs.getSlice',
  'blobs.changes',
  'blobs.createWants',
]

/** Merge plugin manifests into one; a later section with the same name extends the earlier one. */
export function mergeManifests(...parts: Manifest[]): Manifest {
  const out: Manifest = {}
  for (const part of parts) {
    for (const [name, type] of Object.entries(part)) {
      const existing = out[name]
      out[name] =
        typeof type === 'object' && typeof existing === 'object' ? mergeManifests(existing, type) : type
    }
  }
  return out
}

/** The call type of `name` (a path) in `manifest`, a sub-manifest for a namespace, or undefined. */
export function manifestEntry(manifest: Manifest, name: readonly string[]): Manifest[string] | undefined {
  let node: Manifest | Manifest[string] | undefined = manifest
  for (const part of name) {
    if (typeof node !== 'object' || node === null) return undefined
    node = Object.prototype.hasOwnProperty.call(node, part) ? node[part] : undefined
  }
  return node
}

/** Whether `name` (a path) is a method in `manifest`. */
export function hasMethod(manifest: Manifest, name: string[]): boolean {
  return typeof manifestEntry(manifest, name) === 'string'
}

/** Merge handler trees the same way as manifests. */
export function mergeApis(...parts: Api[]): Api {
  const out: Api = {}
  for (const part of parts) {
    for (const [name, h] of Object.entries(part)) {
      const existing = out[name]
      out[name] = typeof h === 'object' && existing && typeof existing === 'object' ? mergeApis(existing, h) : h
    }
  }
  return out
}

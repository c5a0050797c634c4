import { DEFAULT_MAX_BLOB_BYTES } from '@ssb/blobs'
import { BLOBS_MANIFEST, createBlobs } from './blobs.js'
import { gossipSubsystem } from './gossip.js'
import { inviteSubsystem } from './invite.js'
import { createPrivate, PRIVATE_MANIFEST } from './private.js'
import { querySubsystem } from './query.js'
import { createReplication, REPLICATION_MANIFEST } from './replication.js'
import type { SubsystemFactory } from './subsystem.js'
import { toNumber } from './util.js'

/** friends + EBT + legacy replication (protocol.md §8–9). Keep it first: others use its graph. */
export const replicationSubsystem: SubsystemFactory = {
  name: 'replication',
  manifest: REPLICATION_MANIFEST,
  create: ({ id, db, logger, storeDir, config }) =>
    createReplication({ id, db, logger, dir: storeDir }, { hops: toNumber((config.friends as { hops?: unknown } | undefined)?.hops, 2) }),
}

export const blobsSubsystem: SubsystemFactory = {
  name: 'blobs',
  manifest: BLOBS_MANIFEST,
  create: ({ id, db, logger, path, config }) => {
    const c = (config.blobs ?? {}) as { max?: unknown; quota?: unknown; autoWant?: unknown; sympathy?: unknown }
    return createBlobs(
      { id, db, logger, dir: `${path}/blobs` },
      {
        max: toNumber(c.max, DEFAULT_MAX_BLOB_BYTES),
        quotaBytes: toNumber(c.quota, 0),
        autoWant: c.autoWant !== false,
        sympathy: toNumber(c.sympathy, 3),
      },
    )
  },
}

export const privateSubsystem: SubsystemFactory = {
  name: 'private',
  manifest: PRIVATE_MANIFEST,
  create: ({ db, unboxPrivate }) => createPrivate({ publish: (content) => db.publish(content), unbox: unboxPrivate }),
}

/**
 * The server's built-in subsystems, started in this order after the store opens. A new layer
 * (gossip, invites, query, …) adds one entry here; plugins from config come after these.
 */
export const BUILTIN_SUBSYSTEMS: SubsystemFactory[] = [replicationSubsystem, blobsSubsystem, privateSubsystem, gossipSubsystem, inviteSubsystem, querySubsystem]

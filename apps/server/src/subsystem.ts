import type { Db } from '@ssb/db'
import type { FeedId, Keys } from '@ssb/keys'
import type { Api, Manifest } from '@ssb/rpc'
import type { PeerConnection } from './listeners.js'
import type { Logger } from './logger.js'
import type { ServerConfig, SsbServer } from './server.js'

/**
 * A part of the server that adds RPC methods and reacts to connections (replication, blobs,
 * gossip, …). Plugins (see plugins.ts) are adapted to the same shape.
 */
export interface Subsystem {
  name: string
  manifest: Manifest
  api: Api
  /** Dotted method names strangers may call. */
  anonymous?: string[]
  onConnection?(conn: PeerConnection): void
  /** Merged into the `progress` RPC result under `name`. */
  progress?(): unknown
  /** Merged into `status` under `name`. */
  status?(): unknown
  close?(): Promise<void>
}

/** What a subsystem gets when the server starts it (after the store is open). */
export interface SubsystemContext {
  id: FeedId
  keys: Keys
  config: ServerConfig
  db: Db
  /** Already scoped to the subsystem (`scope: name`). */
  logger: Logger
  /** The data directory (`~/.ssb`). */
  path: string
  /** The store directory (`{path}/ssb-ts`), for a subsystem's own files. */
  storeDir: string
  /** The server: `connect`, `connections`, `getAddress`, `onConnection`, … */
  server: SsbServer
  /** Decrypts a private message's `.box` content with our key; null when it is not for us. */
  unboxPrivate(text: string): Record<string, unknown> | null
  /** A subsystem started before this one, by name. */
  get<T extends Subsystem = Subsystem>(name: string): T | undefined
}

/**
 * Declares a subsystem before start-up: the manifest must be known when `Server(config)` returns
 * (secret-stack's contract); `create` runs once the store is open, in list order.
 */
export interface SubsystemFactory {
  name: string
  manifest: Manifest
  create(ctx: SubsystemContext): Subsystem | Promise<Subsystem>
}

/** Bridges an outgoing duplex call whose output depends on its own input. */
export function deferredIterable<T>(): { iterable: AsyncIterable<T>; resolve(source: AsyncIterable<T>): void; reject(err: unknown): void } {
  let resolve!: (source: AsyncIterable<T>) => void
  let reject!: (err: unknown) => void
  const ready = new Promise<AsyncIterable<T>>((res, rej) => {
    resolve = res
    reject = rej
  })
  ready.catch(() => {})
  return {
    iterable: {
      async *[Symbol.asyncIterator]() {
        yield* await ready
      },
    },
    resolve,
    reject,
  }
}

import type { Api, Manifest } from '@ssb/rpc'
import type { PeerConnection } from './listeners.js'

/**
 * A part of the server that adds RPC methods and reacts to connections (replication, blobs, …).
 * The same shape will back the public plugin API.
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
  /** Merged into `status`. */
  status?(): unknown
  close?(): Promise<void>
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

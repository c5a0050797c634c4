// Helpers for talking to the JavaScript reference through ssb-client (muxrpc callback API and
// pull-streams) from promise/async-iterator test code. pull-stream's protocol is plain functions,
// so sources are consumed here directly, without the pull-stream package.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

export type Callback<T> = (err: Error | null | undefined, value?: T) => void
/** A pull-stream source: `read(abort, cb)`, where cb gets `(end, data)`; end `true` = done. */
export type PullSource<T> = (abort: Error | boolean | null, cb: (end: Error | boolean | null, data?: T) => void) => void
/** A pull-stream sink: takes a source. */
export type PullSink<T> = (source: PullSource<T>) => void

/** An ssb-client (muxrpc) instance. Methods are looked up by dotted name. */
export type SsbClient = Record<string, unknown> & { id: string; close: (cb: Callback<void>) => void }

export interface ConnectOptions {
  /** Multiserver address of the server, e.g. `net:127.0.0.1:8008~shs:<key>`. */
  remote: string
  /** ssb-keys key object the client authenticates with; the server's own key makes it master. */
  keys: { curve: string; public: string; private: string; id: string }
  /** SHS network key; default the main network's. */
  caps?: string
  /** The server's manifest; without it ssb-client asks the server for it. */
  manifest?: object
  handshakeTimeoutMs?: number
}

export const MAIN_NETWORK_CAPS = '1KHLiKZvAvjbY1ziZEHMXawbCEIM6qwjCDm3VYRan/s='
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000

type SsbClientFactory = (keys: object, opts: object, cb: Callback<SsbClient>) => void

/** Connect ssb-client 4.9 to a server. Resolves once the connection (and manifest) is ready. */
export function connectClient(opts: ConnectOptions): Promise<SsbClient> {
  const ssbClient = require('ssb-client') as SsbClientFactory
  const config = {
    caps: { shs: opts.caps ?? MAIN_NETWORK_CAPS },
    timers: { handshake: opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS },
    remote: opts.remote,
    ...(opts.manifest ? { manifest: opts.manifest } : {}),
  }
  return new Promise((resolve, reject) => {
    ssbClient(opts.keys, config, (err, client) => (err || !client ? reject(err ?? new Error('no client')) : resolve(client)))
  })
}

function lookup(client: SsbClient, name: string): (...args: unknown[]) => unknown {
  let target: unknown = client
  for (const part of name.split('.')) target = (target as Record<string, unknown> | undefined)?.[part]
  if (typeof target !== 'function') throw new TypeError(`the client has no method ${name}`)
  return target as (...args: unknown[]) => unknown
}

/** Call an async (callback) method: `await call(client, 'publish', content)`. */
export function call<T = unknown>(client: SsbClient, name: string, ...args: unknown[]): Promise<T> {
  const fn = lookup(client, name)
  return new Promise<T>((resolve, reject) => {
    fn(...args, (err: Error | null | undefined, value?: T) => (err ? reject(err) : resolve(value as T)))
  })
}

/** Open a source method: `source(client, 'createHistoryStream', { id })`. */
export function source<T = unknown>(client: SsbClient, name: string, ...args: unknown[]): PullSource<T> {
  return lookup(client, name)(...args) as PullSource<T>
}

/** Drain a pull-stream source into an array (rejects with the stream's error). */
export function collect<T>(src: PullSource<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const items: T[] = []
    // Trampoline: loop while the source answers synchronously, so a long synchronous source
    // cannot overflow the stack; an asynchronous answer restarts the loop.
    let looping = false
    let answeredInLoop = false
    const onData = (end: Error | boolean | null, data?: T): void => {
      if (end === true) return resolve(items)
      if (end) return reject(end instanceof Error ? end : new Error(String(end)))
      items.push(data as T)
      if (looping) answeredInLoop = true
      else readMore()
    }
    const readMore = (): void => {
      looping = true
      do {
        answeredInLoop = false
        src(null, onData)
      } while (answeredInLoop)
      looping = false
    }
    readMore()
  })
}

/** A pull-stream source as an AsyncIterable; breaking out or aborting the signal aborts the source. */
export async function* iterate<T>(src: PullSource<T>, opts: { signal?: AbortSignal } = {}): AsyncGenerator<T> {
  const read = (abort: Error | boolean | null) =>
    new Promise<{ end: Error | boolean | null; data?: T }>((resolve) => src(abort, (end, data) => resolve({ end, data })))
  let done = false
  try {
    for (;;) {
      opts.signal?.throwIfAborted()
      const { end, data } = await read(null)
      if (end === true) {
        done = true
        return
      }
      if (end) {
        done = true
        throw end instanceof Error ? end : new Error(String(end))
      }
      yield data as T
    }
  } finally {
    if (!done) await read(true)
  }
}

/** A pull-stream source of the given items (for sink methods such as `createWriteStream`). */
export function values<T>(items: Iterable<T>): PullSource<T> {
  const it = items[Symbol.iterator]()
  return (abort, cb) => {
    if (abort) return cb(abort)
    const next = it.next()
    if (next.done) cb(true)
    else cb(null, next.value)
  }
}

/** Close an ssb-client connection. */
export function closeClient(client: SsbClient): Promise<void> {
  return new Promise((resolve, reject) => client.close((err) => (err ? reject(err) : resolve())))
}

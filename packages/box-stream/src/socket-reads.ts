import { connect as netConnect, Socket, type NetConnectOpts } from 'node:net'

/** Size of the reused read buffer: what libuv reads at most per call for a stream. */
export const SOCKET_READ_BYTES = 64 * 1024

/** Receives the bytes of one read; they are valid only until it returns (the buffer is reused). */
export type ReadListener = (bytes: Uint8Array) => void

/** The `onread` option of `net.connect` / `new net.Socket`. */
export interface OnRead {
  buffer: Uint8Array
  callback: (bytesRead: number, buffer: Uint8Array) => boolean
}

/**
 * The reads of one socket made with Node's `onread` option: libuv reads into one buffer that
 * is reused, instead of a fresh 64 KiB buffer per read, and each read goes to whoever listens
 * now (the handshake, then the box stream). A bulk transfer otherwise allocates a buffer per
 * 64 KiB received, which is what pushed V8 into a full GC per blob transfer.
 *
 * Bytes that arrive while nobody listens, or that a reader hands back with `unshift`, are
 * copied and given to the next listener first; the socket stops reading while nobody listens,
 * so a new listener calls `socket.resume()` after `listen()`. Pause and resume with
 * `socket.pause()` / `socket.resume()` as usual; 'end', 'close' and 'error' come from the
 * socket as usual.
 *
 * ```ts
 * const reads = new SocketReads()
 * const socket = net.connect({ host, port, onread: reads.onread })
 * reads.listen((bytes) => unboxer.push(bytes)) // copy what you keep
 * socket.resume()
 * ```
 */
export class SocketReads {
  readonly onread: OnRead
  #listener: ReadListener | null = null
  #held: Uint8Array[] = []
  #delivering = false

  constructor(bufferBytes: number = SOCKET_READ_BYTES) {
    this.onread = {
      buffer: Buffer.allocUnsafeSlow(bufferBytes),
      // Returning false stops reading (Node calls readStop) until `socket.resume()`.
      callback: (n, buffer) => this.#deliver(buffer.subarray(0, n)),
    }
  }

  /** Bytes held for the next listener. */
  get held(): number {
    let n = 0
    for (const b of this.#held) n += b.length
    return n
  }

  /** Makes `listener` the receiver of all later reads (null: hold them), held bytes first. */
  listen(listener: ReadListener | null): void {
    this.#listener = listener
    // Called by a listener while it is being given bytes: the loop below goes on with the new one.
    if (this.#delivering) return
    this.#delivering = true
    try {
      while (this.#held.length > 0 && this.#listener !== null) this.#listener(this.#held.shift()!)
    } finally {
      this.#delivering = false
    }
  }

  /** Gives bytes back (copied): the next listener gets them before anything read later. */
  unshift(bytes: Uint8Array): void {
    if (bytes.length > 0) this.#held.unshift(Uint8Array.prototype.slice.call(bytes))
  }

  #deliver(bytes: Uint8Array): boolean {
    const listener = this.#listener
    if (listener === null || this.#held.length > 0) {
      this.#held.push(Uint8Array.prototype.slice.call(bytes))
      if (listener !== null) this.listen(listener)
      return this.#listener !== null
    }
    listener(bytes)
    return true
  }
}

/** A socket and, when it reads into a reused buffer, its SocketReads. */
export interface SocketWithReads {
  socket: Socket
  /** Absent when the socket reads the ordinary way ('data' events). */
  reads?: SocketReads
}

/** `net.connect(opts)` with a reused read buffer; the socket stops reading until someone listens. */
export function connectWithReads(opts: NetConnectOpts): SocketWithReads & { reads: SocketReads } {
  const reads = new SocketReads()
  const socket = netConnect({ ...opts, onread: reads.onread } as NetConnectOpts)
  return { socket, reads }
}

/**
 * Moves an accepted socket, from a `net.Server` made with `pauseOnConnect` that has not read
 * from it yet, onto a reused read buffer. `net.Server` has no `onread` option, so the accepted
 * socket's handle is wrapped in a new `net.Socket` that has one (Node's `handle` option, as its
 * cluster and child_process modules use it) and the old wrapper is dropped without closing the
 * handle (its destroy() then only counts the connection off its server). The new socket starts
 * paused: whoever listens resumes it. Where the handle is not what this expects, the accepted
 * socket is returned as it is, resumed, to be read the ordinary way.
 */
export function adoptWithReads(accepted: Socket): SocketWithReads {
  const holder = accepted as unknown as { _handle: { useUserBuffer?: unknown } | null | undefined }
  const handle = holder._handle
  if (accepted.destroyed || handle === null || typeof handle !== 'object' || typeof handle.useUserBuffer !== 'function') {
    accepted.resume()
    return { socket: accepted }
  }
  const reads = new SocketReads()
  const socket = new Socket({
    handle,
    onread: reads.onread,
    allowHalfOpen: accepted.allowHalfOpen,
    pauseOnCreate: true,
    readable: true,
    writable: true,
  } as ConstructorParameters<typeof Socket>[0])
  holder._handle = null
  accepted.destroy()
  return { socket, reads }
}

import { Duplex } from 'node:stream'
import { boxedLength, createBoxer, type Boxer } from './boxer.js'
import { BoxStreamError } from './errors.js'
import type { SocketReads } from './socket-reads.js'
import { createUnboxer, type Unboxer } from './unboxer.js'

/** Session keys for both directions, as produced by the secret handshake (protocol.md §4). */
export interface BoxKeys {
  encryptKey: Uint8Array
  encryptNonce: Uint8Array
  decryptKey: Uint8Array
  decryptNonce: Uint8Array
}

export interface BoxDuplexOptions {
  /** Readable/writable high-water mark of the plaintext side, in bytes (Node default 16 KiB). */
  highWaterMark?: number
  /**
   * The socket's reads, if it was made with `onread: reads.onread` (see SocketReads): they are
   * taken from there (held bytes first) instead of from 'data' events.
   */
  reads?: SocketReads
}

/**
 * Wraps an encrypted socket as a Duplex of plaintext.
 *
 * - Writes are boxed (≤ 4096 bytes per box) and written to the socket, honouring its
 *   backpressure; `end()` sends the goodbye and then ends the socket's writable side.
 * - Bytes already buffered in the socket (e.g. left over after a handshake) are read first.
 *   The socket is paused while the plaintext reader is behind.
 * - A goodbye ends the readable side; later socket bytes are drained and ignored.
 * - A bad box, a socket error, or the socket ending without a goodbye destroys the duplex
 *   with a BoxStreamError. Destroying the duplex destroys the socket.
 *
 * The socket is switched to half-open mode (a peer's goodbye + FIN leaves our direction open
 * until we end it), so it can come from `net.connect` or `net.createServer` with defaults.
 */
export function createBoxDuplex(socket: Duplex, keys: BoxKeys, opts: BoxDuplexOptions = {}): Duplex {
  return new BoxDuplex(socket, keys, opts)
}

/** Size of the recycled output buffers: a 64 KiB RPC frame and its headers, boxed. */
const SPARE_BUFFER_BYTES = 80 * 1024
/** Recycled output buffers kept per duplex. */
const MAX_SPARE_BUFFERS = 4
/** Larger writes are boxed into recycled buffers of multiples of this size, up to the max. */
const LARGE_SPARE_STEP = 64 * 1024
const MAX_LARGE_SPARE_BYTES = 1024 * 1024 + 64 * 1024
/** Recycled large buffers kept per duplex (one being written, one being filled). */
const MAX_LARGE_SPARES = 2

class BoxDuplex extends Duplex {
  readonly #socket: Duplex
  readonly #boxer: Boxer
  readonly #unboxer: Unboxer
  readonly #reads: SocketReads | undefined
  #paused = false
  #pendingWrite: ((err?: Error | null) => void) | null = null
  // Output buffers handed back by the socket once written, boxed into again: fresh memory per
  // write costs page faults and GC work that show as a third of a bulk sender's time.
  readonly #spare: Buffer[] = []
  readonly #spareLarge: Buffer[] = []

  constructor(socket: Duplex, keys: BoxKeys, opts: BoxDuplexOptions) {
    super({ allowHalfOpen: true, ...(opts.highWaterMark === undefined ? {} : { highWaterMark: opts.highWaterMark }) })
    this.#socket = socket
    this.#boxer = createBoxer(keys.encryptKey, keys.encryptNonce)
    this.#unboxer = createUnboxer(keys.decryptKey, keys.decryptNonce)
    this.#reads = opts.reads
    if (socket.destroyed || socket.readableEnded) {
      process.nextTick(() => this.destroy(unexpectedEnd('socket was already closed')))
      return
    }
    // The goodbye, not TCP FIN, ends a box stream: a peer's goodbye + FIN must not also end
    // our direction before we send our own goodbye (Node would, with allowHalfOpen false).
    // This duplex owns the socket and destroys it once both directions are done.
    ;(socket as Duplex & { allowHalfOpen: boolean }).allowHalfOpen = true
    socket.on('end', this.#onEnd)
    socket.on('close', this.#onClose)
    socket.on('error', this.#onError)
    socket.on('drain', this.#onDrain)
    if (this.#reads) {
      this.#reads.listen(this.#onData)
      if (!this.#paused && !this.destroyed) socket.resume()
    } else {
      socket.on('data', this.#onData)
    }
  }

  // With SocketReads, `chunk` is the socket's reused buffer: the unboxer copies what it keeps.
  #onData = (chunk: Uint8Array): void => {
    let plains: Uint8Array[]
    try {
      plains = this.#unboxer.push(chunk)
    } catch (err) {
      this.destroy(err as Error)
      return
    }
    for (const plain of plains) {
      if (!this.push(plain)) this.#paused = true
    }
    if (this.#unboxer.ended) {
      // Keep the socket flowing so that its EOF arrives and it can close.
      if (!this.readableEnded) this.push(null)
      this.#paused = false
      return
    }
    if (this.#paused) this.#socket.pause()
  }

  #onEnd = (): void => {
    if (!this.#unboxer.ended) this.destroy(unexpectedEnd('peer closed its side without a goodbye'))
  }

  #onClose = (): void => {
    if (!this.#unboxer.ended) {
      this.destroy(unexpectedEnd('socket closed without a goodbye'))
    } else if (!this.writableFinished) {
      // The peer said goodbye and left: a clean end, though our unsent writes are lost.
      this.destroy()
    }
  }

  #onError = (err: Error): void => {
    // Both goodbyes already exchanged: a reset while tearing down loses nothing.
    if (this.#unboxer.ended && this.writableFinished) this.destroy()
    else this.destroy(unexpectedEnd(`socket error: ${err.message}`, err))
  }

  #onDrain = (): void => {
    const cb = this.#pendingWrite
    this.#pendingWrite = null
    cb?.()
  }

  // Reading to the end (the peer's goodbye) must not tear down our direction: plain
  // `for await` would destroy the duplex, and with it our unsent goodbye.
  override [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    return this.iterator({ destroyOnReturn: false })
  }

  override _read(): void {
    if (this.#paused) {
      this.#paused = false
      this.#socket.resume()
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#send([chunk], cb)
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    // Coalescing small writes (e.g. RPC frames) saves 34 header bytes and two secretbox calls
    // each; boxing straight from the pieces saves copying large ones (blob frames).
    this.#send(chunks.map((c) => c.chunk), cb)
  }

  #send(plaintext: Uint8Array[], cb: (err?: Error | null) => void): void {
    let total = 0
    for (const p of plaintext) total += p.length
    const length = boxedLength(total)
    let written: boolean
    try {
      if (length === 0) {
        written = true
      } else if (length <= SPARE_BUFFER_BYTES) {
        written = this.#writeRecycled(plaintext, length, this.#spare, SPARE_BUFFER_BYTES, MAX_SPARE_BUFFERS)
      } else if (length <= MAX_LARGE_SPARE_BYTES) {
        // A blob's frames: fresh half-megabyte buffers cost a page fault per 4 KiB, more than the boxing.
        const size = Math.ceil(length / LARGE_SPARE_STEP) * LARGE_SPARE_STEP
        written = this.#writeRecycled(plaintext, length, this.#spareLarge, size, MAX_LARGE_SPARES)
      } else {
        written = this.#socket.write(this.#boxer.boxChunks(plaintext))
      }
    } catch (err) {
      cb(err as Error)
      return
    }
    // Completing on the next tick lets writes made in the same tick queue up and reach
    // _writev together, so bursts of small frames share boxes.
    if (written) process.nextTick(cb)
    else this.#pendingWrite = cb
  }

  /**
   * Boxes into a buffer of `pool` that holds `length` bytes (else a new one of `size`), which goes
   * back to the pool (up to `keep` there) once the socket has written it.
   */
  #writeRecycled(plaintext: Uint8Array[], length: number, pool: Buffer[], size: number, keep: number): boolean {
    const i = pool.findIndex((b) => b.length >= length)
    const buffer = i === -1 ? Buffer.allocUnsafeSlow(size) : pool.splice(i, 1)[0]!
    const boxed = this.#boxer.boxChunksInto(plaintext, buffer)
    return this.#socket.write(boxed, (err) => {
      if (!err && pool.length < keep) pool.push(buffer)
    })
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#socket.end(this.#boxer.goodbye(), (err?: Error | null) => cb(err ? unexpectedEnd(`could not send goodbye: ${err.message}`, err) : null))
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const socket = this.#socket
    this.#reads?.listen(null)
    socket.off('data', this.#onData)
    socket.off('end', this.#onEnd)
    socket.off('close', this.#onClose)
    socket.off('error', this.#onError)
    socket.off('drain', this.#onDrain)
    // Swallow late socket errors (e.g. EPIPE while tearing down): they were already reported.
    socket.on('error', noop)
    if (!socket.destroyed) socket.destroy()
    const pending = this.#pendingWrite
    this.#pendingWrite = null
    pending?.(err ?? unexpectedEnd('box stream destroyed'))
    cb(err)
  }
}

function unexpectedEnd(message: string, cause?: Error): BoxStreamError {
  return new BoxStreamError('BOX_UNEXPECTED_END', message, cause ? { cause } : undefined)
}

function noop(): void {}

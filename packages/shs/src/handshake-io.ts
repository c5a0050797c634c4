import type { Duplex } from 'node:stream'
import type { SocketReads } from '@ssb/box-stream'
import { ShsError } from './errors.js'

/**
 * Bytes a peer may send ahead of the handshake's replies (read from `reads`); a box stream may
 * follow the last handshake message at once, so this allows a few socket reads of it.
 */
const MAX_HANDSHAKE_INPUT_BYTES = 256 * 1024

/** Builds the error for a read cut short by the peer, given how many bytes of it did arrive. */
export type EndError = (received: number) => ShsError

interface PendingRead {
  length: number
  onEnd: EndError
  resolve: (bytes: Uint8Array) => void
  reject: (err: ShsError) => void
}

/**
 * Socket I/O for one handshake: exact-length reads that never consume a byte more than asked
 * (what follows belongs to the box stream), one timer for the whole handshake, and an
 * AbortSignal. Any failure destroys the socket and rejects the pending read.
 *
 * With `reads` (a socket made with `onread`), bytes come from there and what the handshake
 * did not consume is handed back to it for the box stream.
 */
export class HandshakeIo {
  readonly #socket: Duplex
  readonly #signal: AbortSignal | undefined
  readonly #timer: NodeJS.Timeout
  #pending: PendingRead | null = null
  #failure: ShsError | null = null
  #failed: Promise<never> | null = null
  #rejectFailed: ((err: ShsError) => void) | null = null
  #finished = false
  readonly #reads: SocketReads | undefined
  /** Bytes taken from `reads` and not consumed yet (copies: the read buffer is reused). */
  #received: Buffer[] = []
  #receivedBytes = 0

  constructor(socket: Duplex, timeoutMs: number, signal?: AbortSignal, reads?: SocketReads) {
    this.#socket = socket
    this.#reads = reads
    this.#signal = signal
    this.#timer = setTimeout(() => {
      this.fail(new ShsError('SHS_TIMEOUT', `handshake did not complete within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.on('end', this.#onEnd)
    socket.on('close', this.#onClose)
    socket.on('error', this.#onError)
    if (reads) {
      reads.listen(this.#onBytes)
      socket.resume()
    } else {
      socket.on('readable', this.#onReadable)
    }
    signal?.addEventListener('abort', this.#onAbort)
    if (signal?.aborted) this.#onAbort()
    else if (socket.destroyed) this.#onClose()
  }

  /** Resolves with exactly `length` bytes. */
  read(length: number, onEnd: EndError): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (this.#failure) return reject(this.#failure)
      this.#pending = { length, onEnd, resolve, reject }
      this.#tryRead()
    })
  }

  write(bytes: Uint8Array): void {
    if (this.#failure) throw this.#failure
    this.#socket.write(bytes)
  }

  /** Settles like `promise`, unless the handshake fails first (timeout, abort, socket). */
  race<T>(promise: Promise<T>): Promise<T> {
    if (!this.#failed) {
      this.#failed = new Promise<never>((_, reject) => {
        this.#rejectFailed = reject
        if (this.#failure) reject(this.#failure)
      })
      this.#failed.catch(() => {})
    }
    return Promise.race([promise, this.#failed])
  }

  /** Stops the timer and detaches, leaving unread bytes in the socket for the next reader. */
  finish(): void {
    if (this.#failure) throw this.#failure
    this.#finished = true
    this.#detach()
    if (this.#reads) {
      for (let i = this.#received.length - 1; i >= 0; i--) this.#reads.unshift(this.#received[i]!)
      this.#received = []
      this.#receivedBytes = 0
    }
  }

  /** Destroys the socket (sending nothing more) and rejects whatever is waiting. */
  fail(err: ShsError): void {
    if (this.#failure || this.#finished) return
    this.#failure = err
    this.#detach()
    // Late errors of a destroyed socket (EPIPE, ECONNRESET) have nowhere useful to go.
    this.#socket.on('error', noop)
    this.#socket.destroy()
    const pending = this.#pending
    this.#pending = null
    pending?.reject(err)
    this.#rejectFailed?.(err)
  }

  #detach(): void {
    clearTimeout(this.#timer)
    this.#signal?.removeEventListener('abort', this.#onAbort)
    this.#reads?.listen(null)
    this.#socket.off('readable', this.#onReadable)
    this.#socket.off('end', this.#onEnd)
    this.#socket.off('close', this.#onClose)
    this.#socket.off('error', this.#onError)
  }

  #tryRead(): void {
    const pending = this.#pending
    if (!pending) return
    if (this.#reads) {
      if (this.#receivedBytes < pending.length) return
      const all = this.#received.length === 1 ? this.#received[0]! : Buffer.concat(this.#received)
      const rest = all.subarray(pending.length)
      this.#received = rest.length > 0 ? [rest] : []
      this.#receivedBytes = rest.length
      this.#pending = null
      pending.resolve(new Uint8Array(all.subarray(0, pending.length)))
      return
    }
    const chunk = this.#socket.read(pending.length) as Buffer | null
    if (chunk === null) return
    if (chunk.length < pending.length) {
      // read(n) only returns fewer than n bytes once the stream has ended.
      this.fail(pending.onEnd(chunk.length))
      return
    }
    this.#pending = null
    pending.resolve(new Uint8Array(chunk))
  }

  #onReadable = (): void => {
    this.#tryRead()
  }

  #onBytes = (bytes: Uint8Array): void => {
    if (this.#receivedBytes + bytes.length > MAX_HANDSHAKE_INPUT_BYTES) {
      // A peer that sends far more than a handshake before we answer is not running SHS.
      this.fail(unexpectedEnd(`peer sent more than ${MAX_HANDSHAKE_INPUT_BYTES} bytes during the handshake`))
      return
    }
    this.#received.push(Buffer.from(bytes))
    this.#receivedBytes += bytes.length
    this.#tryRead()
  }

  #onEnd = (): void => {
    this.fail(this.#pending ? this.#pending.onEnd(this.#receivedBytes) : unexpectedEnd('peer ended the connection during the handshake'))
  }

  #onClose = (): void => {
    this.fail(this.#pending ? this.#pending.onEnd(this.#receivedBytes) : unexpectedEnd('connection closed during the handshake'))
  }

  #onError = (err: Error): void => {
    this.fail(unexpectedEnd(`socket error during the handshake: ${err.message}`, err))
  }

  #onAbort = (): void => {
    this.fail(new ShsError('SHS_ABORTED', 'handshake aborted', { cause: this.#signal?.reason }))
  }
}

export function unexpectedEnd(message: string, cause?: Error): ShsError {
  return new ShsError('SHS_UNEXPECTED_END', message, cause ? { cause } : undefined)
}

function noop(): void {}

import type { Duplex } from 'node:stream'
import type pull from 'pull-stream'
import type { CallTracker } from './call-tracker.js'
import { GOODBYE, ITEMS_PER_TURN, MAX_QUEUED_INBOUND_FRAMES } from './constants.js'
import { RpcError } from './errors.js'
import { encodeFrame, encodeFrameParts, encodeGoodbye, FrameDecoder, type Frame, type Goodbye } from './frame-codec.js'

type Item = Frame | Goodbye

export interface TransportOptions {
  maxFrameBytes: number
  highWaterBytes: number
  /** Called once for anything that must drop the connection now. */
  fatal: (err: RpcError) => void
  /** The transport will not give us more bytes: `goodbye` says whether the peer said goodbye first. */
  onInboundEnd: (goodbye: boolean) => void
  /** We have ended our side of the transport (after the goodbye exchange). */
  onFinished: () => void
}

/**
 * Bridges a Node byte Duplex to muxrpc's object stream: decodes frames (length checked
 * before buffering), passes them through the CallTracker, and writes muxrpc's frames out
 * eagerly, coalescing the writes of one tick. Producers wait on `gate()` instead of the
 * writer waiting on the socket, so the bytes we hold stay near `highWaterBytes`.
 */
export class Transport {
  readonly #stream: Duplex
  readonly #tracker: CallTracker
  readonly #decoder: FrameDecoder
  readonly #opts: TransportOptions
  readonly #highWater: number
  #queue: Item[] = []
  #queueHead = 0
  #waiting: pull.SourceCallback<Item> | null = null
  #inEnd: pull.EndOrError = null
  #pumping = false
  #muxDone = false
  #writing = false
  #paused = false
  #corked = false
  #outSource: pull.Source<Item> | null = null
  #goodbyeWritten = false
  #peerDone = false
  #finished = false
  #drain: Promise<void> | null = null
  #turn: Promise<void> | null = null
  #itemsThisTurn = 0
  lastActivity = Date.now()

  /** Pull source of decoded frames for muxrpc's sink. */
  readonly inbound: pull.Source<Item>

  constructor(stream: Duplex, tracker: CallTracker, opts: TransportOptions) {
    this.#stream = stream
    this.#tracker = tracker
    this.#opts = opts
    this.#decoder = new FrameDecoder(opts.maxFrameBytes)
    this.#highWater = Math.max(opts.highWaterBytes, stream.writableHighWaterMark ?? 0)
    this.inbound = (abort, cb) => {
      if (abort) {
        // muxrpc is done with the peer's frames; we still read on to see its goodbye.
        this.#muxDone = true
        this.#inEnd = abort
        this.#queue = []
        this.#queueHead = 0
        cb(abort)
        return
      }
      this.#waiting = cb
      this.#pump()
    }
    stream.on('data', this.#onData)
    stream.on('end', this.#onEnd)
    stream.on('error', this.#onError)
    stream.on('close', this.#onClose)
    if (stream.destroyed) {
      queueMicrotask(() => opts.fatal(new RpcError('RPC_TRANSPORT', 'transport was already closed')))
    }
  }

  get queuedBytes(): number {
    return this.#stream.writableLength
  }

  get paused(): boolean {
    return this.#drain !== null
  }

  /** Start writing what muxrpc produces. */
  start(source: pull.Source<Item>): void {
    this.#outSource = source
    this.#pullOutbound()
  }

  /** Null when the transport can take more bytes, else a promise for when it can. */
  gate(): Promise<void> | null {
    if (this.#drain !== null) return this.#drain
    if (this.#turn !== null) return this.#turn
    const s = this.#stream
    if (s.writableLength <= this.#highWater || s.destroyed || s.writableEnded) {
      if (++this.#itemsThisTurn < ITEMS_PER_TURN) return null
      this.#turn = new Promise<void>((resolve) =>
        setImmediate(() => {
          this.#turn = null
          this.#itemsThisTurn = 0
          resolve()
        }),
      )
      return this.#turn
    }
    this.#drain = new Promise<void>((resolve) => {
      const done = (): void => {
        s.off('drain', done)
        s.off('close', done)
        this.#drain = null
        resolve()
      }
      s.on('drain', done)
      s.on('close', done)
    })
    return this.#drain
  }

  /** Write a frame muxrpc does not know about (error replies to requests we refused). */
  inject(frame: Frame): void {
    this.#writeBytes(encodeFrame(this.#tracker.outbound(frame)))
  }

  /** Put a frame the tracker held back at the front of the inbound queue. */
  redeliver(frame: Frame): void {
    if (this.#queueHead > 0) this.#queue[--this.#queueHead] = frame
    else this.#queue.unshift(frame)
    this.#schedulePump()
  }

  /** Drop the transport now. */
  destroy(): void {
    this.#finished = true
    this.#detach()
    if (!this.#stream.destroyed) this.#stream.destroy()
  }

  #onData = (chunk: Uint8Array): void => {
    this.lastActivity = Date.now()
    if (this.#decoder.ended) return
    let items: Item[]
    try {
      items = this.#decoder.push(chunk)
    } catch (err) {
      this.#opts.fatal(err instanceof RpcError ? err : new RpcError('RPC_BAD_FRAME', String(err)))
      return
    }
    if (!this.#muxDone) for (const item of items) this.#queue.push(item)
    if (this.#decoder.ended) this.#markInboundEnd(true)
    if (this.#queue.length - this.#queueHead > MAX_QUEUED_INBOUND_FRAMES && !this.#paused) {
      this.#paused = true
      this.#stream.pause()
    }
    this.#schedulePump()
  }

  #onEnd = (): void => {
    this.#markInboundEnd(false)
    this.#schedulePump()
  }

  #onError = (err: Error): void => {
    this.#opts.fatal(new RpcError('RPC_TRANSPORT', `transport error: ${err.message}`, { cause: err }))
  }

  #onClose = (): void => {
    if (!this.#finished) this.#opts.fatal(new RpcError('RPC_TRANSPORT', 'transport closed before the RPC session ended'))
  }

  #markInboundEnd(goodbye: boolean): void {
    if (this.#peerDone) return
    this.#peerDone = true
    // The queue (with the goodbye in it) is delivered before this end.
    if (this.#inEnd === null) this.#inEnd = true
    this.#opts.onInboundEnd(goodbye)
    this.#maybeFinish()
  }

  #schedulePump(): void {
    // A synchronous in-memory peer can answer inside our own write: deliver after it returns.
    if (this.#writing) queueMicrotask(() => this.#pump())
    else this.#pump()
  }

  #pump(): void {
    if (this.#pumping) return
    this.#pumping = true
    try {
      while (this.#waiting !== null) {
        if (this.#queueHead >= this.#queue.length) {
          this.#queue = []
          this.#queueHead = 0
          if (this.#inEnd !== null) {
            const cb = this.#waiting
            this.#waiting = null
            cb(this.#inEnd)
          }
          break
        }
        const item = this.#queue[this.#queueHead]!
        this.#queue[this.#queueHead++] = undefined as unknown as Item
        if (!this.#tracker.inbound(item)) continue
        const cb = this.#waiting
        this.#waiting = null
        cb(null, item)
      }
    } finally {
      this.#pumping = false
    }
    if (this.#paused && this.#queue.length - this.#queueHead < MAX_QUEUED_INBOUND_FRAMES / 2) {
      this.#paused = false
      this.#stream.resume()
    }
  }

  #pullOutbound(): void {
    const source = this.#outSource
    if (source === null) return
    for (;;) {
      let sync = true
      let again = false
      source(null, (end, item) => {
        if (end) {
          this.#outSource = null
          this.#goodbyeWritten = true
          this.#maybeFinish()
          return
        }
        this.#writeItem(item!)
        if (sync) again = true
        else this.#pullOutbound()
      })
      sync = false
      if (!again) return
    }
  }

  #writeItem(item: Item): void {
    if (item === GOODBYE) {
      this.#writeBytes(encodeGoodbye())
      this.#goodbyeWritten = true
      this.#maybeFinish()
      return
    }
    const parts = encodeFrameParts(this.#tracker.outbound(item))
    this.#writeBytes(parts[0])
    if (parts.length === 2) this.#writeBytes(parts[1])
  }

  #writeBytes(bytes: Uint8Array): void {
    const s = this.#stream
    if (this.#finished || s.destroyed || s.writableEnded) return
    this.lastActivity = Date.now()
    if (!this.#corked) {
      this.#corked = true
      s.cork()
      process.nextTick(() => {
        this.#corked = false
        s.uncork()
      })
    }
    this.#writing = true
    try {
      s.write(bytes)
    } finally {
      this.#writing = false
    }
  }

  /** Both goodbyes are through (or the peer just hung up): end our side. */
  #maybeFinish(): void {
    if (this.#finished || !this.#goodbyeWritten || !this.#peerDone) return
    this.#finished = true
    const s = this.#stream
    if (!s.destroyed && !s.writableEnded) s.end()
    this.#opts.onFinished()
  }

  #detach(): void {
    const s = this.#stream
    s.off('data', this.#onData)
    s.off('end', this.#onEnd)
    s.off('close', this.#onClose)
    // keep an error listener: a late socket error must not become an uncaught exception
  }
}

import { Buffer } from 'node:buffer'
import {
  BODY_BINARY,
  BODY_JSON,
  BODY_STRING,
  FLAG_END,
  FLAG_STREAM,
  GOODBYE,
  HEADER_BYTES,
  MAX_FRAME_BODY,
} from './constants.js'
import { RpcError } from './errors.js'

/** A decoded frame, in the shape packet-stream reads and writes. */
export interface Frame {
  req: number
  stream: boolean
  end: boolean
  value: unknown
}

export type Goodbye = typeof GOODBYE

export interface FrameHeader {
  flags: number
  /** Body length in bytes; 0 means goodbye. */
  length: number
  req: number
}

/** A value serialised ahead of time, so that a bad value fails the one call that produced it. */
export class EncodedBody {
  constructor(
    readonly type: 0 | 1 | 2,
    readonly bytes: Uint8Array,
  ) {}
}

const EMPTY_STRING_JSON = Buffer.from('""')

/**
 * A value that carries its own JSON text under this registered symbol (as `@ssb/db`'s RawJson
 * does for stored messages) is sent as that text, not re-serialised. The text must be the JSON
 * of one value: it is trusted, so only the server's own code produces such values.
 */
const RAW_JSON = Symbol.for('ssb.rawJson')

/** The JSON text a value carries under `Symbol.for('ssb.rawJson')`, if it carries any. */
export function rawJsonOf(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const raw = (value as { [RAW_JSON]?: unknown })[RAW_JSON]
  return raw instanceof Uint8Array && raw.byteLength > 0 ? raw : undefined
}

/**
 * Serialises one value the way packet-stream-codec does: bytes → binary, string → UTF-8,
 * anything else → compact JSON. A zero-length body would read as goodbye, so '' goes as JSON
 * `""`. Throws RpcError RPC_BAD_ARGS for values JSON cannot represent.
 */
export function encodeBody(value: unknown): EncodedBody {
  if (value instanceof EncodedBody) return value
  const raw = rawJsonOf(value)
  if (raw !== undefined) return new EncodedBody(BODY_JSON, raw)
  if (typeof value === 'string') {
    if (value.length === 0) return new EncodedBody(BODY_JSON, EMPTY_STRING_JSON)
    return new EncodedBody(BODY_STRING, Buffer.from(value, 'utf8'))
  }
  if (value instanceof Uint8Array) {
    if (value.byteLength === 0) return new EncodedBody(BODY_JSON, EMPTY_STRING_JSON)
    return new EncodedBody(BODY_BINARY, value)
  }
  let json: string | undefined
  try {
    json = JSON.stringify(value)
  } catch (err) {
    throw new RpcError('RPC_BAD_ARGS', `value is not JSON-serialisable: ${(err as Error).message}`, { cause: err })
  }
  return new EncodedBody(BODY_JSON, Buffer.from(json ?? 'null', 'utf8'))
}

function bodyOf(frame: Frame): EncodedBody {
  // packet-stream-codec sends `end` when there is no value: `undefined` async results go as `false`.
  const value = frame.value !== undefined ? frame.value : frame.end
  try {
    return encodeBody(value)
  } catch {
    return encodeBody(null)
  }
}

/** Bodies at least this large are written after their header instead of being copied next to it. */
const COPY_BODY_BELOW = 8 * 1024

function writeHeader(out: Buffer, frame: Frame, body: EncodedBody): void {
  out[0] = (frame.stream ? FLAG_STREAM : 0) | (frame.end ? FLAG_END : 0) | body.type
  out.writeUInt32BE(body.bytes.byteLength, 1)
  out.writeInt32BE(frame.req | 0, 5)
}

/** Header and body of one frame in a single buffer. */
export function encodeFrame(frame: Frame): Uint8Array {
  const body = bodyOf(frame)
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.bytes.byteLength)
  writeHeader(out, frame, body)
  out.set(body.bytes, HEADER_BYTES)
  return out
}

/**
 * The frame as one or two buffers: a large body is passed on as is (the transport writes the
 * pieces together), so it must not be modified after it was handed to us.
 */
export function encodeFrameParts(frame: Frame): [Uint8Array] | [Uint8Array, Uint8Array] {
  const body = bodyOf(frame)
  if (body.bytes.byteLength < COPY_BODY_BELOW) return [encodeFrame(frame)]
  const header = Buffer.allocUnsafe(HEADER_BYTES)
  writeHeader(header, frame, body)
  return [header, body.bytes]
}

/** The RPC goodbye: a header of 9 zero bytes. */
export function encodeGoodbye(): Uint8Array {
  return new Uint8Array(HEADER_BYTES)
}

export function readHeader(h: Uint8Array, maxBody: number = MAX_FRAME_BODY): FrameHeader {
  if (h.length !== HEADER_BYTES) throw new RpcError('RPC_BAD_FRAME', `expected ${HEADER_BYTES} header bytes, got ${h.length}`)
  const view = new DataView(h.buffer, h.byteOffset, HEADER_BYTES)
  const flags = h[0]!
  const length = view.getUint32(1)
  if (length > maxBody) {
    throw new RpcError('RPC_FRAME_TOO_LARGE', `frame body of ${length} bytes exceeds the ${maxBody} byte limit`)
  }
  if (length !== 0 && (flags & 3) === 3) throw new RpcError('RPC_BAD_FRAME', 'unknown body type 3')
  return { flags, length, req: view.getInt32(5) }
}

/** Binary bodies at least this large are passed on as views of the transport's buffer, not copied. */
const VIEW_BINARY_FROM = 16 * 1024

/** `owned`: `body` is a buffer of its own (not a view into a transport chunk), so no copy is needed. */
export function decodeBody(header: FrameHeader, body: Buffer, owned = false): Frame {
  const type = header.flags & 3
  let value: unknown
  if (type === BODY_BINARY) {
    // A view keeps the whole transport buffer alive as long as the value lives: worth it for
    // bulk data (blob chunks), where a copy per frame costs more than the bytes kept.
    value = owned || body.byteLength >= VIEW_BINARY_FROM ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : new Uint8Array(body)
  } else if (type === BODY_STRING) {
    value = body.toString('utf8')
  } else {
    try {
      value = JSON.parse(body.toString('utf8'))
    } catch (err) {
      throw new RpcError('RPC_BAD_FRAME', `frame body is not JSON: ${(err as Error).message}`)
    }
  }
  return {
    req: header.req,
    stream: (header.flags & FLAG_STREAM) !== 0,
    end: (header.flags & FLAG_END) !== 0,
    value,
  }
}

/**
 * Incremental decoder. The length field is checked against the limit as soon as the header is
 * complete, before any of the body is buffered. After the goodbye everything is ignored.
 */
export class FrameDecoder {
  #chunks: Buffer[] = []
  #buffered = 0
  #header: FrameHeader | null = null
  #ended = false
  #lastTakeOwned = false
  readonly #maxBody: number

  constructor(maxBody: number = MAX_FRAME_BODY) {
    this.#maxBody = maxBody
  }

  get ended(): boolean {
    return this.#ended
  }

  /** Frames completed by `chunk`; throws RpcError on a bad or oversized frame. */
  push(chunk: Uint8Array): Array<Frame | Goodbye> {
    const out: Array<Frame | Goodbye> = []
    if (this.#ended || chunk.byteLength === 0) return out
    this.#chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    this.#buffered += chunk.byteLength
    for (;;) {
      if (this.#header === null) {
        if (this.#buffered < HEADER_BYTES) break
        const header = readHeader(this.#take(HEADER_BYTES), this.#maxBody)
        if (header.length === 0) {
          // Like packet-stream-codec: any zero-length header is the goodbye.
          this.#ended = true
          this.#chunks = []
          this.#buffered = 0
          out.push(GOODBYE)
          break
        }
        this.#header = header
      }
      if (this.#buffered < this.#header.length) break
      const header = this.#header
      this.#header = null
      const body = this.#take(header.length)
      out.push(decodeBody(header, body, this.#lastTakeOwned))
    }
    return out
  }

  /** Whether the first `n` buffered bytes lie back to back in one ArrayBuffer (always, within one chunk). */
  #contiguous(n: number): boolean {
    const first = this.#chunks[0]!
    let end = first.byteOffset + first.byteLength
    let covered = first.byteLength
    for (let i = 1; covered < n; i++) {
      const c = this.#chunks[i]!
      if (c.buffer !== first.buffer || c.byteOffset !== end) return false
      end += c.byteLength
      covered += c.byteLength
    }
    return true
  }

  #take(n: number): Buffer {
    const first = this.#chunks[0]!
    // Bytes within one chunk, or spread over chunks that are consecutive views of one buffer (as
    // a box stream's plaintext is), are taken as one view; bytes from separate buffers are copied.
    const view = this.#contiguous(n)
    const out = view ? Buffer.from(first.buffer, first.byteOffset, n) : Buffer.allocUnsafe(n)
    this.#lastTakeOwned = !view
    for (let taken = 0; taken < n; ) {
      const c = this.#chunks[0]!
      const want = n - taken
      if (c.byteLength <= want) {
        if (!view) out.set(c, taken)
        taken += c.byteLength
        this.#chunks.shift()
      } else {
        if (!view) out.set(c.subarray(0, want), taken)
        this.#chunks[0] = c.subarray(want)
        taken = n
      }
    }
    this.#buffered -= n
    return out
  }
}

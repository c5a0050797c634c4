import { Buffer } from 'node:buffer'
import type { Duplex } from 'node:stream'

export interface RawFrame {
  flags: number
  length: number
  req: number
  body: Buffer
  /** Header as hex, e.g. '0e00000004fffffffd'. */
  headerHex: string
  text: string
}

/** A hand-built frame: 9-byte header (flags, uint32 BE length, int32 BE req) + body (protocol.md §6.1). */
export function frameBytes(flags: number, req: number, body: string | Uint8Array): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body)
  const h = Buffer.alloc(9)
  h[0] = flags
  h.writeUInt32BE(b.length, 1)
  h.writeInt32BE(req, 5)
  return Buffer.concat([h, b])
}

export const GOODBYE_BYTES = Buffer.alloc(9)

/** The far end of a connection, speaking bytes only: what we send is exactly what the test wrote. */
export class RawPeer {
  #buf = Buffer.alloc(0)
  #frames: RawFrame[] = []
  #waiters: Array<(f: RawFrame | null) => void> = []
  #ended = false
  readonly goodbyes: number[] = []
  readonly stream: Duplex

  constructor(stream: Duplex) {
    this.stream = stream
    stream.on('data', (chunk: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, chunk])
      this.#parse()
    })
    stream.on('end', () => this.#end())
    stream.on('close', () => this.#end())
    stream.on('error', () => this.#end())
  }

  send(...frames: Buffer[]): void {
    for (const f of frames) this.stream.write(f)
  }

  /** The next frame we receive, or null once the stream ended. Goodbyes are returned as length-0 frames. */
  next(): Promise<RawFrame | null> {
    const f = this.#frames.shift()
    if (f !== undefined) return Promise.resolve(f)
    if (this.#ended) return Promise.resolve(null)
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  async nextN(n: number): Promise<RawFrame[]> {
    const out: RawFrame[] = []
    for (let i = 0; i < n; i++) {
      const f = await this.next()
      if (f === null) throw new Error(`stream ended after ${i} of ${n} frames`)
      out.push(f)
    }
    return out
  }

  #parse(): void {
    for (;;) {
      if (this.#buf.length < 9) return
      const length = this.#buf.readUInt32BE(1)
      if (this.#buf.length < 9 + length) return
      const header = this.#buf.subarray(0, 9)
      const body = Buffer.from(this.#buf.subarray(9, 9 + length))
      const f: RawFrame = {
        flags: header[0]!,
        length,
        req: header.readInt32BE(5),
        body,
        headerHex: header.toString('hex'),
        text: body.toString('utf8'),
      }
      this.#buf = this.#buf.subarray(9 + length)
      const w = this.#waiters.shift()
      if (w !== undefined) w(f)
      else this.#frames.push(f)
    }
  }

  #end(): void {
    if (this.#ended) return
    this.#ended = true
    for (const w of this.#waiters.splice(0)) w(null)
  }
}

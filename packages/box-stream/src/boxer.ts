import sodium from 'sodium-native'
import { asBuffer, asUint8Array, checkBytes, incrementNonce } from './bytes.js'
import { BOXED_HEADER_BYTES, HEADER_PLAINTEXT_BYTES, KEY_BYTES, MAX_BOX_BODY_BYTES, NONCE_BYTES } from './constants.js'
import { BoxStreamError } from './errors.js'

export interface Boxer {
  /**
   * Encrypts `plaintext` as boxes of at most MAX_BOX_BODY_BYTES each and returns the wire
   * bytes (34-byte header + body per box). An empty plaintext yields an empty array.
   */
  box(plaintext: Uint8Array): Uint8Array
  /**
   * `box` of the chunks' concatenation, without concatenating them first: the same wire bytes
   * as `box(concat(chunks))`, with one copy of at most a box body where a box spans chunks.
   */
  boxChunks(chunks: readonly Uint8Array[]): Uint8Array
  /**
   * `boxChunks` into the caller's buffer, which must hold `boxedLength(total)` bytes; returns
   * the view of `out` that was written. Lets a writer recycle its output buffers.
   */
  boxChunksInto(chunks: readonly Uint8Array[], out: Uint8Array): Uint8Array
  /** The 34-byte goodbye (boxed 18 zero bytes). The boxer cannot be used afterwards. */
  goodbye(): Uint8Array
  readonly ended: boolean
}

/** Wire bytes of `plaintextLength` bytes boxed: a 34-byte header per box of at most 4096 bytes. */
export function boxedLength(plaintextLength: number): number {
  return Math.ceil(plaintextLength / MAX_BOX_BODY_BYTES) * BOXED_HEADER_BYTES + plaintextLength
}

/** Writer half of a box stream. `key` (32 bytes) and `nonce` (24 bytes) are copied. */
export function createBoxer(key: Uint8Array, nonce: Uint8Array): Boxer {
  checkBytes(key, KEY_BYTES, 'createBoxer key')
  checkBytes(nonce, NONCE_BYTES, 'createBoxer nonce')
  const secret = Buffer.from(key)
  const headerNonce = Buffer.from(nonce)
  const bodyNonce = Buffer.alloc(NONCE_BYTES)
  const header = Buffer.alloc(HEADER_PLAINTEXT_BYTES)
  const headerMac = header.subarray(2)
  let ended = false

  const spanning = Buffer.alloc(MAX_BOX_BODY_BYTES)

  const checkOpen = (): void => {
    if (ended) throw new BoxStreamError('BOX_ENDED', 'box stream writer already sent its goodbye')
  }

  const boxChunksInto = (chunks: readonly Uint8Array[], into: Uint8Array | null): Uint8Array => {
    checkOpen()
    let total = 0
    for (const c of chunks) total += c.length
    if (total === 0) return into === null ? new Uint8Array(0) : into.subarray(0, 0)
    const length = boxedLength(total)
    if (into !== null && into.length < length) {
      throw new BoxStreamError('BOX_INVALID_ARGUMENT', `boxChunksInto: output holds ${into.length} bytes, needs ${length}`)
    }
    const out = into === null ? Buffer.allocUnsafeSlow(length) : asBuffer(into).subarray(0, length)
    let chunk = 0
    let offset = 0
    let read = 0
    let written = 0
    while (read < total) {
      const length = Math.min(MAX_BOX_BODY_BYTES, total - read)
      while (offset === chunks[chunk]!.length) {
        chunk++
        offset = 0
      }
      let body: Buffer
      const current = asBuffer(chunks[chunk]!)
      if (current.length - offset >= length) {
        body = current.subarray(offset, offset + length)
        offset += length
      } else {
        // this box spans chunks: gather its body
        let filled = 0
        while (filled < length) {
          const c = asBuffer(chunks[chunk]!)
          const n = Math.min(length - filled, c.length - offset)
          c.copy(spanning, filled, offset, offset + n)
          filled += n
          offset += n
          if (offset === c.length && filled < length) {
            chunk++
            offset = 0
          }
        }
        body = spanning.subarray(0, length)
      }
      const bodyStart = written + BOXED_HEADER_BYTES
      bodyNonce.set(headerNonce)
      incrementNonce(bodyNonce)
      // The body MAC travels inside the header, so the body is boxed in detached mode.
      sodium.crypto_secretbox_detached(out.subarray(bodyStart, bodyStart + length), headerMac, body, bodyNonce, secret)
      header.writeUInt16BE(length, 0)
      sodium.crypto_secretbox_easy(out.subarray(written, bodyStart), header, headerNonce, secret)
      headerNonce.set(bodyNonce)
      incrementNonce(headerNonce)
      read += length
      written = bodyStart + length
    }
    return asUint8Array(out)
  }

  return {
    get ended() {
      return ended
    },

    box(plaintext) {
      return boxChunksInto([plaintext], null)
    },

    boxChunks: (chunks) => boxChunksInto(chunks, null),
    boxChunksInto: (chunks, out) => boxChunksInto(chunks, out),

    goodbye() {
      checkOpen()
      ended = true
      const out = Buffer.alloc(BOXED_HEADER_BYTES)
      sodium.crypto_secretbox_easy(out, Buffer.alloc(HEADER_PLAINTEXT_BYTES), headerNonce, secret)
      sodium.sodium_memzero(secret)
      sodium.sodium_memzero(header)
      return asUint8Array(out)
    },
  }
}

import sodium from 'sodium-native'
import { type PreparedMessage, publicKeyBase64, signatureBase64 } from './validate.js'

/** Per message: publicKey(32) signature(64) length(u32le); then the signed text. */
export const JOB_HEADER_BYTES = 100
const INITIAL_JOB_BYTES = 64 * 1024

/** Packs prepared messages into one transferable buffer for a verify worker. */
export class JobBuilder {
  buf: Buffer
  length = 0
  count = 0
  /** Index in the batch of this job's first message. */
  constructor(
    readonly start: number,
    buffer?: ArrayBuffer,
  ) {
    this.buf = buffer ? Buffer.from(buffer) : Buffer.allocUnsafeSlow(INITIAL_JOB_BYTES)
  }

  add(p: PreparedMessage): void {
    const maxNeed = this.length + JOB_HEADER_BYTES + p.text.length * 3
    if (maxNeed > this.buf.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(maxNeed, this.buf.length * 2))
      this.buf.copy(grown, 0, 0, this.length)
      this.buf = grown
    }
    const at = this.length
    this.buf.write(publicKeyBase64(p), at, 'base64')
    this.buf.write(signatureBase64(p), at + 32, 'base64')
    const n = this.buf.write(p.text, at + JOB_HEADER_BYTES, 'utf8')
    this.buf.writeUInt32LE(n, at + 96)
    this.length = at + JOB_HEADER_BYTES + n
    this.count++
  }

  /** The whole backing ArrayBuffer (allocUnsafeSlow: not pooled, so safe to transfer). */
  arrayBuffer(): ArrayBuffer {
    return this.buf.buffer as ArrayBuffer
  }
}

/** The worker's loop, for jobs the main thread verifies itself. Index of first failure or -1. */
export function verifyJob(buffer: ArrayBuffer, count: number, hmacKey: Buffer | null): number {
  const buf = Buffer.from(buffer)
  const mac = Buffer.alloc(sodium.crypto_auth_BYTES)
  let offset = 0
  for (let i = 0; i < count; i++) {
    const publicKey = buf.subarray(offset, offset + 32)
    const signature = buf.subarray(offset + 32, offset + 96)
    const length = buf.readUInt32LE(offset + 96)
    let data = buf.subarray(offset + JOB_HEADER_BYTES, offset + JOB_HEADER_BYTES + length)
    offset += JOB_HEADER_BYTES + length
    if (hmacKey) {
      sodium.crypto_auth(mac, data, hmacKey)
      data = mac
    }
    if (!sodium.crypto_sign_verify_detached(signature, data, publicKey)) return i
  }
  return -1
}

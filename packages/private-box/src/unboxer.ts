import { ed25519SecretKeyToCurve25519 } from '@ssb/keys'
import { asBuffer, assertBytes, wipe } from './bytes.js'
import { MAX_CIPHERTEXT_BYTES } from './constants.js'
import { decodeBoxView, parseContent } from './content.js'
import { PrivateBoxError } from './errors.js'
import { checkCiphertext, type LimitOptions, maxRecipientsOf, openBody } from './multibox.js'
import { bodyLength, createScratch, openBodyInto, openKeyInto, wipeScratch } from './open.js'

export interface Unboxer {
  unbox(ciphertext: Uint8Array): Uint8Array | null
  unboxKey(ciphertext: Uint8Array): Uint8Array | null
  unboxContent(boxString: string): Record<string, unknown> | null
  unboxContentKey(boxString: string): Uint8Array | null
  /** Wipes the cached Curve25519 secret key; later calls throw PRIVATE_BOX_INVALID_ARGUMENT. */
  destroy(): void
}

/**
 * The unbox functions bound to one identity, with its Curve25519 secret key converted once
 * (ssb-keys caches it as `keys._exchangeKey`) and working memory reused between calls, which
 * are synchronous. For indexers that try every private message.
 */
export function createUnboxer(ed25519SecretKey: Uint8Array, opts?: LimitOptions): Unboxer {
  assertBytes(ed25519SecretKey, 64, 'createUnboxer(secretKey)')
  const max = maxRecipientsOf(opts)
  let curveSk: Buffer | null = asBuffer(ed25519SecretKeyToCurve25519(ed25519SecretKey))
  const scratch = createScratch()
  const body = Buffer.alloc(MAX_CIPHERTEXT_BYTES) // plaintext of unboxContent, wiped after parsing

  /** Leaves `[n] || key` in scratch.key when it returns true; the caller wipes it. */
  function findKey(ciphertext: Uint8Array): boolean {
    if (curveSk === null) throw new PrivateBoxError('PRIVATE_BOX_INVALID_ARGUMENT', 'unboxer was destroyed')
    checkCiphertext(ciphertext, opts, 'unboxer(ciphertext)')
    return openKeyInto(asBuffer(ciphertext), curveSk, max, scratch)
  }

  function unboxContent(boxString: string): Record<string, unknown> | null {
    const ct = decodeBoxView(boxString, opts)
    if (ct === null || !findKey(ct)) return null
    try {
      const len = bodyLength(ct, scratch.key)
      if (len < 0) return null
      const out = len <= body.length ? body.subarray(0, len) : Buffer.alloc(len)
      return openBodyInto(ct, scratch.key, out) ? parseContent(out) : null
    } finally {
      wipeScratch(scratch)
    }
  }

  function unboxKey(ciphertext: Uint8Array): Uint8Array | null {
    if (!findKey(ciphertext)) return null
    const key = new Uint8Array(scratch.key)
    wipeScratch(scratch)
    return key
  }

  return {
    unbox(ciphertext) {
      if (!findKey(ciphertext)) return null
      try {
        return openBody(asBuffer(ciphertext), scratch.key)
      } finally {
        wipeScratch(scratch)
      }
    },
    unboxKey,
    unboxContent,
    unboxContentKey(boxString) {
      const ct = decodeBoxView(boxString, opts)
      return ct === null ? null : unboxKey(ct)
    },
    destroy() {
      if (curveSk) wipe(curveSk, body)
      curveSk = null
    },
  }
}

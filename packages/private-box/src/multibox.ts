// private-box 0.3.1 multibox (protocol.md §14):
//   nonce(24) || onetime X25519 pk(32) || slot_1 … slot_n (49 B each) || secretbox(plaintext, nonce, key)
// where slot_i = secretbox([n] || key, nonce, X25519(onetime_sk, curve(recipient_i))).
import sodium from 'sodium-native'
import { ed25519PublicKeyToCurve25519, ed25519SecretKeyToCurve25519 } from '@ssb/keys'
import { asBuffer, assertBytes, wipe } from './bytes.js'
import { bodyLength, createScratch, openBodyInto, openKeyInto, wipeScratch } from './open.js'
import {
  DEFAULT_MAX_RECIPIENTS,
  HEADER_BYTES,
  KEY_BYTES,
  MAC_BYTES,
  MAX_CIPHERTEXT_BYTES,
  MAX_RECIPIENTS_LIMIT,
  MIN_CIPHERTEXT_BYTES,
  NONCE_BYTES,
  SLOT_BYTES,
  UNBOX_KEY_BYTES,
} from './constants.js'
import { PrivateBoxError } from './errors.js'

export interface LimitOptions {
  /** Recipient limit, 1..255 (private-box `max`); default 7 as in ssb. */
  maxRecipients?: number
  /** Longest ciphertext accepted or produced; default MAX_CIPHERTEXT_BYTES (6144). */
  maxCiphertextBytes?: number
}

export interface BoxOptions extends LimitOptions {
  /** Fixed 24-byte nonce. For test vectors only: a repeated nonce breaks confidentiality. */
  nonce?: Uint8Array
  /** Fixed 32-byte message key. For test vectors only. */
  key?: Uint8Array
  /** Fixed 32-byte onetime X25519 secret key. For test vectors only. */
  ephemeral?: Uint8Array
}

const ED25519_PUBLIC_KEY_BYTES = 32
const ED25519_SECRET_KEY_BYTES = 64

export function maxRecipientsOf(opts: LimitOptions | undefined): number {
  const max = opts?.maxRecipients ?? DEFAULT_MAX_RECIPIENTS
  if (!Number.isInteger(max) || max < 1 || max > MAX_RECIPIENTS_LIMIT) {
    throw new PrivateBoxError('PRIVATE_BOX_INVALID_ARGUMENT', `maxRecipients must be an integer in 1..${MAX_RECIPIENTS_LIMIT}`)
  }
  return max
}

function maxCiphertextOf(opts: LimitOptions | undefined): number {
  const max = opts?.maxCiphertextBytes ?? MAX_CIPHERTEXT_BYTES
  if (!Number.isSafeInteger(max) || max < MIN_CIPHERTEXT_BYTES) {
    throw new PrivateBoxError('PRIVATE_BOX_INVALID_ARGUMENT', `maxCiphertextBytes must be an integer >= ${MIN_CIPHERTEXT_BYTES}`)
  }
  return max
}

/** Throws PRIVATE_BOX_NO_RECIPIENTS / PRIVATE_BOX_TOO_MANY_RECIPIENTS for a count outside 1..max. */
export function checkRecipientCount(count: number, opts?: LimitOptions): void {
  const max = maxRecipientsOf(opts)
  if (count < 1) throw new PrivateBoxError('PRIVATE_BOX_NO_RECIPIENTS', 'at least one recipient is required')
  if (count > max) {
    throw new PrivateBoxError('PRIVATE_BOX_TOO_MANY_RECIPIENTS', `max recipients is ${max}, found ${count}`)
  }
}

function recipientToCurve(pk: unknown, i: number): Uint8Array {
  if (!(pk instanceof Uint8Array) || pk.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new PrivateBoxError('PRIVATE_BOX_INVALID_RECIPIENT', `recipient ${i}: expected a 32-byte Ed25519 public key`)
  }
  try {
    return ed25519PublicKeyToCurve25519(pk)
  } catch (err) {
    throw new PrivateBoxError('PRIVATE_BOX_INVALID_RECIPIENT', `recipient ${i}: not a valid Ed25519 public key`, { cause: err })
  }
}

/**
 * Encrypts `plaintext` for 1..maxRecipients Ed25519 public keys, byte-compatible with
 * private-box 0.3.1 `multibox` (ssb-keys `box` without the JSON and base64 steps).
 */
export function box(plaintext: Uint8Array, recipients: Uint8Array[], opts?: BoxOptions): Uint8Array {
  assertBytes(plaintext, null, 'box(plaintext)')
  if (!Array.isArray(recipients)) {
    throw new PrivateBoxError('PRIVATE_BOX_INVALID_ARGUMENT', 'box(recipients): expected an array of public keys')
  }
  checkRecipientCount(recipients.length, opts)
  const total = HEADER_BYTES + SLOT_BYTES * recipients.length + plaintext.length + MAC_BYTES
  const maxBytes = maxCiphertextOf(opts)
  if (total > maxBytes) {
    throw new PrivateBoxError('PRIVATE_BOX_TOO_LARGE', `box would be ${total} bytes, limit ${maxBytes}`)
  }
  if (opts?.nonce !== undefined) assertBytes(opts.nonce, NONCE_BYTES, 'box(opts.nonce)')
  if (opts?.key !== undefined) assertBytes(opts.key, KEY_BYTES, 'box(opts.key)')
  if (opts?.ephemeral !== undefined) assertBytes(opts.ephemeral, KEY_BYTES, 'box(opts.ephemeral)')
  const curves = recipients.map(recipientToCurve)

  const out = Buffer.alloc(total)
  const nonce = out.subarray(0, NONCE_BYTES)
  const onetimePk = out.subarray(NONCE_BYTES, HEADER_BYTES)
  if (opts?.nonce) nonce.set(opts.nonce)
  else sodium.randombytes_buf(nonce)

  // lengthAndKey = [n] || key; the message key lives only inside it (wiped below).
  const lengthAndKey = Buffer.alloc(UNBOX_KEY_BYTES)
  lengthAndKey[0] = recipients.length
  const key = lengthAndKey.subarray(1)
  if (opts?.key) key.set(opts.key)
  else sodium.randombytes_buf(key)

  const onetimeSk = Buffer.alloc(KEY_BYTES)
  if (opts?.ephemeral) onetimeSk.set(opts.ephemeral)
  else sodium.randombytes_buf(onetimeSk)
  sodium.crypto_scalarmult_base(onetimePk, onetimeSk)

  const shared = Buffer.alloc(KEY_BYTES)
  try {
    curves.forEach((curvePk, i) => {
      const at = HEADER_BYTES + SLOT_BYTES * i
      try {
        sodium.crypto_scalarmult(shared, onetimeSk, asBuffer(curvePk))
      } catch (err) {
        // libsodium refuses low-order points (the shared secret would be all zeros).
        throw new PrivateBoxError('PRIVATE_BOX_INVALID_RECIPIENT', `recipient ${i}: low-order public key`, { cause: err })
      }
      sodium.crypto_secretbox_easy(out.subarray(at, at + SLOT_BYTES), lengthAndKey, nonce, shared)
    })
    const bodyAt = HEADER_BYTES + SLOT_BYTES * recipients.length
    sodium.crypto_secretbox_easy(out.subarray(bodyAt), asBuffer(plaintext), nonce, key)
  } finally {
    wipe(shared, onetimeSk, lengthAndKey)
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}

export function checkCiphertext(ciphertext: unknown, opts: LimitOptions | undefined, title: string): asserts ciphertext is Uint8Array {
  assertBytes(ciphertext, null, title)
  const maxBytes = maxCiphertextOf(opts)
  if (ciphertext.length > maxBytes) {
    throw new PrivateBoxError('PRIVATE_BOX_TOO_LARGE', `${title}: ${ciphertext.length} bytes, limit ${maxBytes}`)
  }
}

function curveSecretOf(ed25519SecretKey: unknown, title: string): Buffer {
  assertBytes(ed25519SecretKey, ED25519_SECRET_KEY_BYTES, title)
  return asBuffer(ed25519SecretKeyToCurve25519(ed25519SecretKey))
}

/**
 * The 33-byte `[n] || key` that opens the body (the `?unbox=` link key), or null when no slot
 * opens for this 64-byte Ed25519 secret key.
 */
export function unboxKey(ciphertext: Uint8Array, ed25519SecretKey: Uint8Array, opts?: LimitOptions): Uint8Array | null {
  checkCiphertext(ciphertext, opts, 'unboxKey(ciphertext)')
  const max = maxRecipientsOf(opts)
  const curveSk = curveSecretOf(ed25519SecretKey, 'unboxKey(secretKey)')
  const s = createScratch()
  try {
    return openKeyInto(asBuffer(ciphertext), curveSk, max, s) ? new Uint8Array(s.key) : null
  } finally {
    wipe(curveSk)
    wipeScratch(s)
  }
}

/** Plaintext (a fresh buffer) of the body `key` opens, or null. */
export function openBody(buf: Buffer, key: Uint8Array): Uint8Array | null {
  const len = bodyLength(buf, key)
  if (len < 0) return null
  const out = Buffer.alloc(len)
  if (!openBodyInto(buf, asBuffer(key), out)) return null
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}

/** Opens the body with a key from `unboxKey` (private-box `multibox_open_body`); null if it does not open. */
export function unboxWithKey(ciphertext: Uint8Array, key: Uint8Array, opts?: LimitOptions): Uint8Array | null {
  checkCiphertext(ciphertext, opts, 'unboxWithKey(ciphertext)')
  assertBytes(key, UNBOX_KEY_BYTES, 'unboxWithKey(key)')
  return openBody(asBuffer(ciphertext), key)
}

/**
 * Decrypts a multibox with our 64-byte Ed25519 secret key; null when it is not for us or is
 * damaged. Throws PrivateBoxError only for bad arguments or a ciphertext over the size limit.
 */
export function unbox(ciphertext: Uint8Array, ed25519SecretKey: Uint8Array, opts?: LimitOptions): Uint8Array | null {
  checkCiphertext(ciphertext, opts, 'unbox(ciphertext)')
  const max = maxRecipientsOf(opts)
  const curveSk = curveSecretOf(ed25519SecretKey, 'unbox(secretKey)')
  const s = createScratch()
  try {
    const buf = asBuffer(ciphertext)
    return openKeyInto(buf, curveSk, max, s) ? openBody(buf, s.key) : null
  } finally {
    wipe(curveSk)
    wipeScratch(s)
  }
}

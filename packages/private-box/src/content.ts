// SSB-level private messages (ssb-keys 8 `box` / `unbox`, ssb-private1): content objects in,
// `<base64>.box` strings out. protocol.md §14 and §16 trap 16.
import { feedIdToPublicKey, isFeedId, toBase64 } from '@ssb/keys'
import { asBuffer, assertBytes } from './bytes.js'
import { BOX_SUFFIX, MAX_CIPHERTEXT_BYTES, UNBOX_KEY_BYTES } from './constants.js'
import { PrivateBoxError } from './errors.js'
import { type BoxOptions, checkRecipientCount, type LimitOptions, box, unbox, unboxKey, unboxWithKey } from './multibox.js'

const utf8Encoder = new TextEncoder()

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * `b64(multibox(UTF-8(JSON.stringify(content)), recipients)) + '.box'`, exactly what ssb-keys
 * `box(content, recps)` produces. `content` is stringified compactly as given, `recps` included.
 */
export function boxContent(content: object, recipientFeedIds: string[], opts?: BoxOptions): string {
  if (!isPlainObject(content)) {
    throw new PrivateBoxError('PRIVATE_BOX_INVALID_CONTENT', 'content must be a JSON object')
  }
  if (!Array.isArray(recipientFeedIds)) {
    throw new PrivateBoxError('PRIVATE_BOX_INVALID_ARGUMENT', 'recipients must be an array of feed ids')
  }
  checkRecipientCount(recipientFeedIds.length, opts)
  const publicKeys = recipientFeedIds.map((id, i) => {
    if (!isFeedId(id)) {
      throw new PrivateBoxError('PRIVATE_BOX_INVALID_RECIPIENT', `recipient ${i} is not a canonical feed id`)
    }
    return feedIdToPublicKey(id)
  })
  let json: unknown
  try {
    json = JSON.stringify(content)
  } catch (err) {
    throw new PrivateBoxError('PRIVATE_BOX_INVALID_CONTENT', 'content is not JSON-serializable', { cause: err })
  }
  if (typeof json !== 'string' || !json.startsWith('{')) {
    throw new PrivateBoxError('PRIVATE_BOX_INVALID_CONTENT', 'content must serialize to a JSON object')
  }
  return toBase64(box(utf8Encoder.encode(json), publicKeys, opts)) + BOX_SUFFIX
}

/**
 * The ciphertext of a `<canonical base64>.box` string as a Buffer that may be a view into Node's
 * shared pool (for immediate internal use), or null if the string is not in that form (e.g.
 * `.box2` content or garbage: not a private1 box, so not for us). Throws PRIVATE_BOX_TOO_LARGE
 * if it is longer than any valid message can carry.
 */
export function decodeBoxView(boxString: string, opts?: LimitOptions): Buffer | null {
  if (typeof boxString !== 'string') {
    throw new PrivateBoxError('PRIVATE_BOX_INVALID_ARGUMENT', `expected a boxed string, got ${typeof boxString}`)
  }
  if (!boxString.endsWith(BOX_SUFFIX)) return null
  const b64 = boxString.slice(0, -BOX_SUFFIX.length)
  const maxBytes = opts?.maxCiphertextBytes ?? MAX_CIPHERTEXT_BYTES
  if (b64.length > Math.ceil(maxBytes / 3) * 4) {
    throw new PrivateBoxError('PRIVATE_BOX_TOO_LARGE', `boxed string of ${boxString.length} characters`)
  }
  // Node's decoder is lenient; re-encoding and comparing accepts canonical padded base64 only
  // (trap 5), without the cost of a regex over the whole string.
  const buf = Buffer.from(b64, 'base64')
  if (buf.length === 0 || buf.toString('base64') !== b64) return null
  return buf
}

/** The ciphertext bytes of a `<canonical base64>.box` string, or null if it is not one. */
export function decodeBoxString(boxString: string, opts?: LimitOptions): Uint8Array | null {
  const buf = decodeBoxView(boxString, opts)
  return buf === null ? null : new Uint8Array(buf) // copy: small Buffers are views into Node's shared pool
}

/**
 * Parses decrypted content and wipes the plaintext. Decodes like ssb-keys (`'' + buffer`,
 * invalid UTF-8 becomes U+FFFD) and accepts only a JSON object.
 */
export function parseContent(plaintext: Uint8Array | null): Record<string, unknown> | null {
  if (plaintext === null) return null
  const buf = asBuffer(plaintext)
  try {
    const value: unknown = JSON.parse(buf.toString('utf8'))
    return isPlainObject(value) ? value : null
  } catch {
    return null
  } finally {
    buf.fill(0)
  }
}

/**
 * Decrypts a `.box` content string with our keys (ssb-keys `unbox`); null when it is not for
 * us, is damaged, or does not hold a JSON object.
 */
export function unboxContent(
  boxString: string,
  keys: { secretKey: Uint8Array },
  opts?: LimitOptions,
): Record<string, unknown> | null {
  if (typeof keys !== 'object' || keys === null) {
    throw new PrivateBoxError('PRIVATE_BOX_INVALID_ARGUMENT', 'keys must be an object with a secretKey')
  }
  assertBytes(keys.secretKey, 64, 'unboxContent(keys.secretKey)')
  const ciphertext = decodeBoxView(boxString, opts)
  if (ciphertext === null) return null
  return parseContent(unbox(ciphertext, keys.secretKey, opts))
}

/** The `[n] || key` for `%id?unbox=<b64>` links, from a `.box` string; null when not for us. */
export function unboxContentKey(boxString: string, keys: { secretKey: Uint8Array }, opts?: LimitOptions): Uint8Array | null {
  if (typeof keys !== 'object' || keys === null) {
    throw new PrivateBoxError('PRIVATE_BOX_INVALID_ARGUMENT', 'keys must be an object with a secretKey')
  }
  const ciphertext = decodeBoxView(boxString, opts)
  if (ciphertext === null) {
    assertBytes(keys.secretKey, 64, 'unboxContentKey(keys.secretKey)')
    return null
  }
  return unboxKey(ciphertext, keys.secretKey, opts)
}

/** Opens a `.box` content string with a 33-byte `?unbox=` key; null when it does not open. */
export function unboxContentWithKey(boxString: string, key: Uint8Array, opts?: LimitOptions): Record<string, unknown> | null {
  assertBytes(key, UNBOX_KEY_BYTES, 'unboxContentWithKey(key)')
  const ciphertext = decodeBoxView(boxString, opts)
  if (ciphertext === null) return null
  return parseContent(unboxWithKey(ciphertext, key, opts))
}

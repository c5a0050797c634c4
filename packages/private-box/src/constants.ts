/** crypto_secretbox_NONCEBYTES: the 24-byte nonce that opens every multibox. */
export const NONCE_BYTES = 24
/** crypto_secretbox_KEYBYTES: the random message key and every X25519 shared secret. */
export const KEY_BYTES = 32
/** crypto_secretbox_MACBYTES. */
export const MAC_BYTES = 16
/** X25519 public key of the onetime (ephemeral) key pair. */
export const EPHEMERAL_PUBLIC_KEY_BYTES = 32
/** nonce || onetime public key, the header before the first slot (private-box `start`). */
export const HEADER_BYTES = NONCE_BYTES + EPHEMERAL_PUBLIC_KEY_BYTES
/** `[n] || key`: the plaintext of a slot and the `?unbox=` key. */
export const UNBOX_KEY_BYTES = 1 + KEY_BYTES
/** One recipient slot: secretbox of `[n] || key` = 1 + 32 + 16 = 49 bytes (private-box `size`). */
export const SLOT_BYTES = UNBOX_KEY_BYTES + MAC_BYTES
/** Smallest box any slot can be opened from: header, one slot and an empty body's MAC. */
export const MIN_CIPHERTEXT_BYTES = HEADER_BYTES + SLOT_BYTES + MAC_BYTES

/** ssb-keys / private-box default recipient limit (protocol.md §14). */
export const DEFAULT_MAX_RECIPIENTS = 7
/** private-box `setMax` allows 1..255: the recipient count is stored in one byte. */
export const MAX_RECIPIENTS_LIMIT = 255

/**
 * Largest ciphertext accepted. A boxed message's content is `b64(box) + '.box'` inside a
 * message whose `JSON.stringify(msg, null, 2)` is at most 8192 UTF-16 code units (protocol.md
 * §2.3), so the base64 is under 8192 characters and the box under 8192 / 4 × 3 = 6144 bytes.
 * Anything longer cannot come from a valid message.
 */
export const MAX_CIPHERTEXT_BYTES = (8192 / 4) * 3

/** The suffix of boxed content strings (protocol.md §1.1). */
export const BOX_SUFFIX = '.box'

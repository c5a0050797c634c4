/** Largest plaintext carried by one box (pull-box-stream 1.0.13 `max = 4096`; protocol.md §5). */
export const MAX_BOX_BODY_BYTES = 4096

/** secretbox MAC length (XSalsa20-Poly1305). */
export const MAC_BYTES = 16

/** Decrypted header: uint16_be(body length) || body MAC. */
export const HEADER_PLAINTEXT_BYTES = 2 + MAC_BYTES

/** Header on the wire: MAC || encrypted header plaintext. */
export const BOXED_HEADER_BYTES = MAC_BYTES + HEADER_PLAINTEXT_BYTES

export const KEY_BYTES = 32
export const NONCE_BYTES = 24

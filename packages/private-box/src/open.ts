// Opening a multibox without per-call allocations: the unbox hot path runs once per private
// message when indexing, and small ArrayBuffers are costly to allocate and collect in V8.
import sodium from 'sodium-native'
import { EPHEMERAL_PUBLIC_KEY_BYTES, HEADER_BYTES, KEY_BYTES, MAC_BYTES, MIN_CIPHERTEXT_BYTES, NONCE_BYTES, SLOT_BYTES, UNBOX_KEY_BYTES } from './constants.js'

/** Working memory for one unbox at a time; wiped after each use. */
export interface Scratch {
  shared: Buffer
  candidate: Buffer
  slot: Buffer
  /** The `[n] || key` found by openKeyInto. */
  key: Buffer
}

export function createScratch(): Scratch {
  const mem = Buffer.alloc(KEY_BYTES + UNBOX_KEY_BYTES + SLOT_BYTES + UNBOX_KEY_BYTES)
  let at = 0
  const take = (n: number): Buffer => mem.subarray(at, (at += n))
  return { shared: take(KEY_BYTES), candidate: take(UNBOX_KEY_BYTES), slot: take(SLOT_BYTES), key: take(UNBOX_KEY_BYTES) }
}

export function wipeScratch(s: Scratch): void {
  sodium.sodium_memzero(s.shared)
  sodium.sodium_memzero(s.candidate)
  sodium.sodium_memzero(s.slot)
  sodium.sodium_memzero(s.key)
}

/**
 * private-box `multibox_open_key`: finds our slot with a Curve25519 secret key and writes
 * `[n] || key` to `s.key`. Tries slots i = 0..max inclusive (max + 1 slots, as 0.3.1 does) while
 * a full slot plus a body MAC still fit. Every candidate slot is tried even after a match, so the
 * time taken depends only on the ciphertext length and `max`, not on whether or where our slot
 * is; each attempt is libsodium's constant-time MAC check. Wipes the shared secret; the caller
 * wipes `s.key` when done with it.
 */
export function openKeyInto(buf: Buffer, curveSk: Buffer, max: number, s: Scratch): boolean {
  if (buf.length < MIN_CIPHERTEXT_BYTES) return false
  const nonce = buf.subarray(0, NONCE_BYTES)
  try {
    sodium.crypto_scalarmult(s.shared, curveSk, buf.subarray(NONCE_BYTES, NONCE_BYTES + EPHEMERAL_PUBLIC_KEY_BYTES))
  } catch {
    return false // low-order onetime key: nobody can open this
  }
  let found = false
  for (let i = 0; i <= max; i++) {
    const at = HEADER_BYTES + SLOT_BYTES * i
    if (at + SLOT_BYTES > buf.length - MAC_BYTES) break
    buf.copy(s.slot, 0, at, at + SLOT_BYTES) // cheaper than a subarray view per slot
    if (sodium.crypto_secretbox_open_easy(s.candidate, s.slot, nonce, s.shared) && !found) {
      s.candidate.copy(s.key)
      found = true
    }
  }
  sodium.sodium_memzero(s.shared)
  sodium.sodium_memzero(s.candidate)
  return found
}

/** Plaintext length of the body that `key` points at, or -1 if the box is too short for it. */
export function bodyLength(buf: Buffer, key: Uint8Array): number {
  const bodyAt = HEADER_BYTES + SLOT_BYTES * key[0]!
  return bodyAt + MAC_BYTES > buf.length ? -1 : buf.length - bodyAt - MAC_BYTES
}

/** private-box `multibox_open_body` into `out` (exactly bodyLength bytes); false if it does not open. */
export function openBodyInto(buf: Buffer, key: Buffer, out: Buffer): boolean {
  const bodyAt = HEADER_BYTES + SLOT_BYTES * key[0]!
  return sodium.crypto_secretbox_open_easy(out, buf.subarray(bodyAt), buf.subarray(0, NONCE_BYTES), key.subarray(1))
}

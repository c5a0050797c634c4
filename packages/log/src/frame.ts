import {
  FRAME_ERASED_FLAG,
  FRAME_HEADER_BYTES,
  FRAME_LENGTH_MASK,
  FRAME_OVERHEAD_BYTES,
  FRAME_RESERVED_MASK,
  MAX_RECORD_BYTES,
} from './constants.js'
import { crc32, crc32U32 } from './crc32.js'
import type { Slab } from './slab.js'
import { hi32, lo32 } from './u64.js'

// Frame at logical offset o:
//   [u32 word][u32 payloadCrc][u32 headerCrc][payload][u32 word]
//   word       = payload length | ERASED flag (bit 31); bits 27..30 zero
//   payloadCrc = crc32(payload, PAYLOAD_SEED)
//   headerCrc  = crc32(o as u64 ‖ word ‖ payloadCrc, salt), salt = crc32(fileId, HEADER_SEED)
// The seeds make an all-zero frame invalid (zero-filled space after a crash never parses),
// and the offset plus file id in the header crc reject a frame read at the wrong place or a
// stale block of another log file.

export const PAYLOAD_SEED = 0x5353424c
export const HEADER_SEED = 0x4c4f4721

export function frameSize(payloadLength: number): number {
  return payloadLength + FRAME_OVERHEAD_BYTES
}

export function saltFor(fileId: Uint8Array): number {
  return crc32(fileId, HEADER_SEED)
}

export function payloadCrcOf(payload: Uint8Array): number {
  return crc32(payload, PAYLOAD_SEED)
}

export function headerCrcOf(salt: number, offset: number, word: number, payloadCrc: number): number {
  return crc32U32(crc32U32(crc32U32(crc32U32(salt, lo32(offset)), hi32(offset)), word), payloadCrc)
}

/** Encodes one frame into `target` at `pos`; returns the bytes written. */
export function encodeFrame(
  target: Uint8Array,
  view: DataView,
  pos: number,
  offset: number,
  salt: number,
  payload: Uint8Array,
  erased = false,
  payloadCrc = payloadCrcOf(payload),
): number {
  const word = (payload.length | (erased ? FRAME_ERASED_FLAG : 0)) >>> 0
  view.setUint32(pos, word, true)
  view.setUint32(pos + 4, payloadCrc, true)
  view.setUint32(pos + 8, headerCrcOf(salt, offset, word, payloadCrc), true)
  target.set(payload, pos + FRAME_HEADER_BYTES)
  view.setUint32(pos + FRAME_HEADER_BYTES + payload.length, word, true)
  return payload.length + FRAME_OVERHEAD_BYTES
}

/**
 * Checks the 12-byte header at `pos` for a frame claimed to start at `offset`.
 * Returns the header word (length | flags) or -1 when the header is not a valid frame start.
 */
export function checkHeader(view: DataView, pos: number, offset: number, salt: number, maxRecordBytes: number): number {
  const word = view.getUint32(pos, true)
  if ((word & FRAME_RESERVED_MASK) !== 0) return -1
  if ((word & FRAME_LENGTH_MASK) > maxRecordBytes) return -1
  const payloadCrc = view.getUint32(pos + 4, true)
  if (view.getUint32(pos + 8, true) !== headerCrcOf(salt, offset, word, payloadCrc)) return -1
  return word
}

export function wordLength(word: number): number {
  return word & FRAME_LENGTH_MASK
}

export function wordErased(word: number): boolean {
  return (word & FRAME_ERASED_FLAG) !== 0
}

/**
 * Checks payload and trailer of a frame whose header passed checkHeader. `bytes` holds the whole
 * frame starting at `pos`. Returns a copy of the payload (from `slab` when given; with `slab`
 * null, the payload's own bytes inside `bytes`, no copy) or null when damaged.
 */
export function checkBody(bytes: Uint8Array, view: DataView, pos: number, word: number, slab?: { slab: Slab; source: Buffer } | null): Uint8Array | null {
  const length = word & FRAME_LENGTH_MASK
  const start = pos + FRAME_HEADER_BYTES
  if (view.getUint32(start + length, true) !== word) return null
  const payload =
    slab === null ? bytes.subarray(start, start + length)
    : slab ? slab.slab.copy(slab.source, start, start + length)
    : bytes.slice(start, start + length)
  if (crc32(payload, PAYLOAD_SEED) !== view.getUint32(pos + 4, true)) return null
  return payload
}

/**
 * The record framed at `bytes[at, end)` for logical `offset`: its payload (copied as checkBody
 * does with `slab`), null for a tombstone, or undefined when no whole, valid frame lies there
 * (missing bytes, bad header, trailer or checksum: the caller reads it the careful way).
 */
export function frameAt(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  end: number,
  offset: number,
  salt: number,
  slab?: { slab: Slab; source: Buffer } | null,
): Uint8Array | null | undefined {
  if (end - at < FRAME_HEADER_BYTES) return undefined
  const word = checkHeader(view, at, offset, salt, MAX_RECORD_BYTES)
  if (word < 0) return undefined
  const size = wordLength(word) + FRAME_OVERHEAD_BYTES
  if (at + size > end) return undefined
  if (wordErased(word)) return view.getUint32(at + size - 4, true) === word ? null : undefined
  return checkBody(bytes, view, at, word, slab) ?? undefined
}

import { crc32 } from './crc32.js'
import type { DataFile } from './file.js'
import { getU64, setU64 } from './u64.js'

// The checkpoint file holds two 128-byte slots; writes alternate between them and each is
// checksummed, so a torn checkpoint write leaves the other slot intact. The valid slot with the
// higher sequence number wins.
//   0  u32 magic 'SSBC'     4 u32 version (1)     8 u64 sequence
//  16  16B file id of the data file it describes
//  32  u64 verifiedEnd: every frame below this offset was checked and fsynced
//  40  u64 records: frames (erased ones included) below verifiedEnd
//  48  u64 erased: tombstones below verifiedEnd (counting a pending erase)
//  56  u64 pending erase offset + 1 (0 = none)   64 u32 pending erase payload length
// 124  u32 crc32 of bytes 0..124

const SLOT_BYTES = 128
const MAGIC = 0x43425353
const VERSION = 1

export interface Checkpoint {
  sequence: number
  fileId: Uint8Array
  verifiedEnd: number
  records: number
  erased: number
  /** An erase that was announced but maybe not finished: open completes it. */
  pendingErase: { offset: number; length: number } | null
}

export function encodeCheckpoint(cp: Checkpoint): Uint8Array {
  const bytes = new Uint8Array(SLOT_BYTES)
  const view = new DataView(bytes.buffer)
  view.setUint32(0, MAGIC, true)
  view.setUint32(4, VERSION, true)
  setU64(view, 8, cp.sequence)
  bytes.set(cp.fileId, 16)
  setU64(view, 32, cp.verifiedEnd)
  setU64(view, 40, cp.records)
  setU64(view, 48, cp.erased)
  setU64(view, 56, cp.pendingErase ? cp.pendingErase.offset + 1 : 0)
  view.setUint32(64, cp.pendingErase ? cp.pendingErase.length : 0, true)
  view.setUint32(124, crc32(bytes.subarray(0, 124)), true)
  return bytes
}

export function decodeCheckpoint(bytes: Uint8Array): Checkpoint | null {
  if (bytes.length < SLOT_BYTES) return null
  const view = new DataView(bytes.buffer, bytes.byteOffset, SLOT_BYTES)
  if (view.getUint32(0, true) !== MAGIC || view.getUint32(4, true) !== VERSION) return null
  if (view.getUint32(124, true) !== crc32(bytes.subarray(0, 124))) return null
  const fields = [8, 32, 40, 48, 56].map((p) => getU64(view, p))
  if (fields.some((v) => v < 0)) return null
  const [sequence, verifiedEnd, records, erased, pending] = fields as [number, number, number, number, number]
  return {
    sequence,
    fileId: bytes.slice(16, 32),
    verifiedEnd,
    records,
    erased,
    pendingErase: pending > 0 ? { offset: pending - 1, length: view.getUint32(64, true) } : null,
  }
}

export async function readCheckpoint(file: DataFile): Promise<Checkpoint | null> {
  const bytes = new Uint8Array(SLOT_BYTES * 2)
  const n = await file.read(bytes, 0, bytes.length, 0)
  const a = decodeCheckpoint(bytes.subarray(0, Math.min(n, SLOT_BYTES)))
  const b = n >= SLOT_BYTES * 2 ? decodeCheckpoint(bytes.subarray(SLOT_BYTES)) : null
  if (a && b) return a.sequence >= b.sequence ? a : b
  return a ?? b
}

/** Writes the slot for cp.sequence and fsyncs it. */
export async function writeCheckpoint(file: DataFile, cp: Checkpoint): Promise<void> {
  const bytes = encodeCheckpoint(cp)
  await file.write(bytes, 0, bytes.length, (cp.sequence % 2) * SLOT_BYTES)
  await file.datasync()
}

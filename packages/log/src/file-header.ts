import { randomBytes } from 'node:crypto'
import { FILE_FORMAT_VERSION, FILE_HEADER_BYTES } from './constants.js'
import { crc32 } from './crc32.js'
import { LogError } from './errors.js'
import { getU64, setU64 } from './u64.js'

// Data file header, 64 bytes:
//   0  8B  magic "SSBLOG\r\n"
//   8  u32 format version
//  12  u32 header size (64)
//  16  u64 generation (bumped by every compaction)
//  24  u64 base offset (logical offset of the first frame)
//  32  16B file id (random; binds frames and the checkpoint to this file)
//  48  12B reserved, zero
//  60  u32 crc32 of bytes 0..60

const MAGIC = new Uint8Array([0x53, 0x53, 0x42, 0x4c, 0x4f, 0x47, 0x0d, 0x0a])

export interface FileHeader {
  generation: number
  baseOffset: number
  fileId: Uint8Array
}

export function newFileId(): Uint8Array {
  return new Uint8Array(randomBytes(16))
}

export function encodeFileHeader(h: FileHeader): Uint8Array {
  const bytes = new Uint8Array(FILE_HEADER_BYTES)
  const view = new DataView(bytes.buffer)
  bytes.set(MAGIC, 0)
  view.setUint32(8, FILE_FORMAT_VERSION, true)
  view.setUint32(12, FILE_HEADER_BYTES, true)
  setU64(view, 16, h.generation)
  setU64(view, 24, h.baseOffset)
  bytes.set(h.fileId, 32)
  view.setUint32(60, crc32(bytes.subarray(0, 60)), true)
  return bytes
}

export function decodeFileHeader(bytes: Uint8Array, path: string): FileHeader {
  if (bytes.length < FILE_HEADER_BYTES || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw new LogError('LOG_UNSUPPORTED_FORMAT', `${path} is not an @ssb/log data file`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, FILE_HEADER_BYTES)
  if (view.getUint32(60, true) !== crc32(bytes.subarray(0, 60))) {
    throw new LogError('LOG_CORRUPT', `${path}: file header checksum mismatch`)
  }
  const version = view.getUint32(8, true)
  if (version !== FILE_FORMAT_VERSION || view.getUint32(12, true) !== FILE_HEADER_BYTES) {
    throw new LogError('LOG_UNSUPPORTED_FORMAT', `${path}: unsupported format version ${version}`)
  }
  const generation = getU64(view, 16)
  const baseOffset = getU64(view, 24)
  if (generation < 0 || baseOffset < 0) throw new LogError('LOG_CORRUPT', `${path}: file header out of range`)
  return { generation, baseOffset, fileId: bytes.slice(32, 48) }
}

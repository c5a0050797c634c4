import zlib from 'node:zlib'

// CRC-32 (IEEE 802.3, reflected 0xEDB88320), same semantics as zlib.crc32(data, previous):
// crc32(b, crc32(a, s)) === crc32(a ‖ b, s). zlib.crc32 only exists from Node 20.15 / 22.2,
// so older Node 20 releases fall back to the slicing-by-8 table version below.

const TABLE = buildTable()

function buildTable(): Int32Array {
  const t = new Int32Array(256 * 8)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      const prev = t[(k - 1) * 256 + n]!
      t[k * 256 + n] = (prev >>> 8) ^ t[prev & 0xff]!
    }
  }
  return t
}

/** Table-driven CRC-32 over data[start, end), continuing from `previous`. */
export function crc32Js(data: Uint8Array, previous = 0, start = 0, end = data.length): number {
  const t = TABLE
  let c = ~previous
  let i = start
  for (; i + 8 <= end; i += 8) {
    const a = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))
    c =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + data[i + 4]!]! ^
      t[512 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!
  }
  for (; i < end; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)
  return ~c >>> 0
}

type NativeCrc32 = (data: Uint8Array, value?: number) => number
const native = (zlib as unknown as { crc32?: NativeCrc32 }).crc32

/** True when node:zlib provides crc32 (native, several GB/s). */
export const HAS_NATIVE_CRC32 = typeof native === 'function'

/** CRC-32 of a whole Uint8Array, continuing from `previous`. */
export const crc32: (data: Uint8Array, previous?: number) => number = HAS_NATIVE_CRC32
  ? // Node 20's zlib.crc32 returns 0, not `previous`, for an empty array over a zero-length ArrayBuffer.
    (data, previous = 0) => (data.length === 0 ? previous >>> 0 : native!(data, previous))
  : (data, previous = 0) => crc32Js(data, previous, 0, data.length)

/** Continues a CRC-32 over the 4 little-endian bytes of `word`, without allocating. */
export function crc32U32(previous: number, word: number): number {
  const t = TABLE
  const a = ~previous ^ word
  return ~(t[768 + (a & 0xff)]! ^ t[512 + ((a >>> 8) & 0xff)]! ^ t[256 + ((a >>> 16) & 0xff)]! ^ t[a >>> 24]!) >>> 0
}

import { type BlobId, blobIdFromHash, isBlobId } from '@ssb/keys'
import { BlobsError } from './errors.js'

/** sha256 of zero bytes: multiblob reports it as always present (size 0). */
export const EMPTY_BLOB_ID: BlobId = '&47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=.sha256'

export function assertBlobId(id: unknown, title = 'id'): asserts id is BlobId {
  if (!isBlobId(id)) throw new BlobsError('BLOB_INVALID_ID', `${title}: not a canonical &…=.sha256 blob id`)
}

/** Lowercase hex of the 32-byte hash (the multiblob file path is `hh/<62 hex>`). */
export function blobIdToHex(id: BlobId): string {
  return Buffer.from(id.slice(1, 45), 'base64').toString('hex')
}

export function hexToBlobId(hex: string): BlobId | null {
  if (!/^[0-9a-f]{64}$/.test(hex)) return null
  return blobIdFromHash(new Uint8Array(Buffer.from(hex, 'hex')))
}

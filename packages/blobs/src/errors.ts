export type BlobsErrorCode =
  /** Not a canonical `&<base64 of 32 bytes>.sha256` blob id. */
  | 'BLOB_INVALID_ID'
  /** The blob is not in the store. */
  | 'BLOB_NOT_FOUND'
  /** More bytes than the size limit; raised as soon as the limit is crossed. */
  | 'BLOB_TOO_LARGE'
  /** The bytes do not hash to the expected id. */
  | 'BLOB_HASH_MISMATCH'
  /** get() was given a `size` that is not the blob's size. */
  | 'BLOB_SIZE_MISMATCH'
  /** The operation's AbortSignal fired. */
  | 'BLOB_ABORTED'
  /** A live stream's consumer fell too far behind and the stream was ended. */
  | 'BLOB_SLOW_CONSUMER'
  /** The store or sync engine was closed. */
  | 'BLOB_CLOSED'
  /** A wrong type or value was passed in (range, option, source). */
  | 'BLOB_INVALID_ARGUMENT'
  /** A file system operation failed. */
  | 'BLOB_IO'

export class BlobsError extends Error {
  override name = 'BlobsError'
  constructor(
    readonly code: BlobsErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

export function isBlobsError(err: unknown, code?: BlobsErrorCode): err is BlobsError {
  return err instanceof BlobsError && (code === undefined || err.code === code)
}

export function abortError(signal: AbortSignal | undefined): BlobsError {
  return new BlobsError('BLOB_ABORTED', 'aborted', { cause: signal?.reason })
}

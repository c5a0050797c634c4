export type DbErrorCode =
  | 'DB_NOT_FOUND'
  | 'DB_CLOSED'
  | 'DB_INVALID_ARGUMENT'
  | 'DB_LIVE_OVERFLOW'
  | 'DB_NO_BOXER'
  | 'DB_CORRUPT_RECORD'
  | 'DB_WRITE_FAILED'
  | 'DB_ABORTED'

export class DbError extends Error {
  override name = 'DbError'
  constructor(
    readonly code: DbErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

export function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DbError('DB_ABORTED', 'aborted')
}

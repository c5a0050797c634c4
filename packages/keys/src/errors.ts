export type KeysErrorCode =
  | 'KEYS_INVALID_BYTES'
  | 'KEYS_INVALID_BASE64'
  | 'KEYS_INVALID_LINK'
  | 'KEYS_INVALID_KEYS'
  | 'KEYS_INVALID_PUBLIC_KEY'
  | 'KEYS_SECRET_NOT_FOUND'
  | 'KEYS_SECRET_EXISTS'
  | 'KEYS_SECRET_INVALID'
  | 'KEYS_SECRET_IO'

export class KeysError extends Error {
  override name = 'KeysError'
  constructor(
    readonly code: KeysErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

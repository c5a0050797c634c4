export type BoxStreamErrorCode =
  /** A 34-byte header did not authenticate with the current nonce. */
  | 'BOX_BAD_HEADER'
  /** A body did not authenticate against the MAC carried in its header. */
  | 'BOX_BAD_BODY'
  /** An authentic header claims a body longer than MAX_BOX_BODY_BYTES. */
  | 'BOX_TOO_LONG'
  /** The input ended (or the socket closed or failed) before the goodbye. */
  | 'BOX_UNEXPECTED_END'
  /** box() after goodbye(), or a write after end. */
  | 'BOX_ENDED'
  /** A key or nonce of the wrong type or length was passed in. */
  | 'BOX_INVALID_ARGUMENT'

export class BoxStreamError extends Error {
  override name = 'BoxStreamError'
  readonly code: BoxStreamErrorCode

  constructor(code: BoxStreamErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

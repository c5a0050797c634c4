export type PrivateBoxErrorCode =
  /** box()/boxContent() called with an empty recipient list. */
  | 'PRIVATE_BOX_NO_RECIPIENTS'
  /** More recipients than `maxRecipients` (7 by default, as ssb). */
  | 'PRIVATE_BOX_TOO_MANY_RECIPIENTS'
  /** A recipient is not a canonical feed id / a valid Ed25519 public key. */
  | 'PRIVATE_BOX_INVALID_RECIPIENT'
  /** The box would be, or is, longer than `MAX_CIPHERTEXT_BYTES` (or the caller's limit). */
  | 'PRIVATE_BOX_TOO_LARGE'
  /** A boxed string is not `<base64>.box`. */
  | 'PRIVATE_BOX_INVALID_CIPHERTEXT'
  /** Content to box is not a JSON object. */
  | 'PRIVATE_BOX_INVALID_CONTENT'
  /** A key, nonce, option or byte input of the wrong type or length. */
  | 'PRIVATE_BOX_INVALID_ARGUMENT'

export class PrivateBoxError extends Error {
  override name = 'PrivateBoxError'
  constructor(
    readonly code: PrivateBoxErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

export type ValidationErrorCode =
  | 'INVALID_SHAPE'
  | 'INVALID_AUTHOR'
  | 'INVALID_SEQUENCE'
  | 'FORK'
  | 'INVALID_PREVIOUS'
  | 'INVALID_TIMESTAMP'
  | 'INVALID_HASH'
  | 'INVALID_CONTENT'
  | 'TOO_LARGE'
  | 'INVALID_SIGNATURE'
  | 'INVALID_HMAC_KEY'

/**
 * A message that ssb-validate 4.1.4 would refuse. `fatal` mirrors ssb-validate's flag: fatal
 * errors mean the peer sent something wrong (fork, bad signature, bad first message);
 * non-fatal ones are the expected "duplicate or gap" or a malformed message.
 */
export class ValidationError extends Error {
  override name = 'ValidationError'
  constructor(
    readonly code: ValidationErrorCode,
    readonly fatal: boolean,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

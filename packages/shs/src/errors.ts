export type ShsErrorCode =
  /** msg1 or msg2 HMAC did not verify (the peer uses another network key), or the server hung up right after msg1. */
  | 'SHS_WRONG_NETWORK'
  /** msg3 did not open with the expected key (the client dialed us with another server key). */
  | 'SHS_BAD_MSG3'
  /** msg4 did not open with the expected key. */
  | 'SHS_BAD_MSG4'
  /** sigA (in msg3) or sigB (in msg4) did not verify. */
  | 'SHS_BAD_SIGNATURE'
  /** The peer sent a key that is not a usable curve point (low order, not on the curve). */
  | 'SHS_BAD_KEY'
  /** Server side: authorize() returned false or threw. */
  | 'SHS_UNAUTHORIZED'
  /** Client side: the server hung up after msg3 (wrong server key, or it did not authorize us). */
  | 'SHS_REJECTED'
  /** The handshake did not finish within timeoutMs. */
  | 'SHS_TIMEOUT'
  /** The caller's AbortSignal fired. */
  | 'SHS_ABORTED'
  /** The socket ended, closed or failed in the middle of the handshake. */
  | 'SHS_UNEXPECTED_END'
  /** A key, caps value or message of the wrong type or length was passed in. */
  | 'SHS_INVALID_ARGUMENT'
  /** A handshake step was called out of order, or after the handshake failed. */
  | 'SHS_INVALID_STATE'

export class ShsError extends Error {
  override name = 'ShsError'
  readonly code: ShsErrorCode

  constructor(code: ShsErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

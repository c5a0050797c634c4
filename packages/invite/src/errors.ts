export type InviteErrorCode =
  /** The text is not an invite code (or is too long); nothing was dialled. */
  | 'INVITE_BAD_CODE'
  /** `create`/`use` options out of range (uses, note, feed id). */
  | 'INVITE_BAD_OPTIONS'
  /** No invite is stored for this guest id. */
  | 'INVITE_UNKNOWN'
  /** The invite has been used as many times as it allows. */
  | 'INVITE_EXPIRED'
  /** The pub follows that feed already (ssb-invite refuses such a use without counting it). */
  | 'INVITE_ALREADY_FOLLOWING'
  /** MAX_INVITES unused invites exist already. */
  | 'INVITE_TABLE_FULL'
  /** The table file is unreadable or not what this package writes. */
  | 'INVITE_CORRUPT_TABLE'
  /** The table was closed. */
  | 'INVITE_CLOSED'
  /** The code's transport cannot be dialled here (onion, or ws without a `connect` function). */
  | 'INVITE_UNSUPPORTED_TRANSPORT'
  /** Every attempt to reach the pub (TCP + handshake) failed. */
  | 'INVITE_CONNECT_FAILED'
  /** The pub answered `invite.use` with an error (or did not answer in time). */
  | 'INVITE_REJECTED'
  /** The caller's AbortSignal fired. */
  | 'INVITE_ABORTED'

export class InviteError extends Error {
  override name = 'InviteError'
  constructor(
    readonly code: InviteErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

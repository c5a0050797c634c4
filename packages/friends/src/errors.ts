export type FriendsErrorCode = 'FRIENDS_INVALID_EDGE' | 'FRIENDS_INVALID_OPTIONS'

export class FriendsError extends Error {
  override name = 'FriendsError'
  constructor(
    readonly code: FriendsErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

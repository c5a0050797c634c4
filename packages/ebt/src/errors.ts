export type EbtErrorCode =
  | 'EBT_UNSUPPORTED_VERSION'
  | 'EBT_INVALID_PEER'
  | 'EBT_REPLACED'
  | 'EBT_PEER_MISBEHAVING'
  | 'EBT_TOO_MANY_FEEDS'
  | 'EBT_CLOSED'
  | 'EBT_CLOCK_UNAVAILABLE'
  | 'EBT_INTERNAL'

export class EbtError extends Error {
  override name = 'EbtError'
  constructor(
    readonly code: EbtErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

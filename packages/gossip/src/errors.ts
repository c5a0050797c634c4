export type GossipErrorCode =
  | 'GOSSIP_INVALID_ADDRESS'
  | 'GOSSIP_ADDRESS_TOO_LONG'
  | 'GOSSIP_INVALID_OPTIONS'
  | 'GOSSIP_TABLE_FULL'
  | 'GOSSIP_OWN_ADDRESS'
  | 'GOSSIP_UNKNOWN_PEER'
  | 'GOSSIP_INVALID_STATE_FILE'

export class GossipError extends Error {
  override name = 'GossipError'
  constructor(
    readonly code: GossipErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

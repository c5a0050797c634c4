import type { BoxKeys } from '@ssb/box-stream'

/** An Ed25519 identity: 32-byte public key, 64-byte secret key (seed || pk). `@ssb/keys` Keys fit. */
export interface LongTermKeys {
  publicKey: Uint8Array
  secretKey: Uint8Array
}

/** An X25519 key pair (32 + 32 bytes). Only tests should pass one; by default a fresh one is made. */
export interface EphemeralKeys {
  publicKey: Uint8Array
  secretKey: Uint8Array
}

/** What a successful handshake yields: the peer's identity and the box-stream keys (protocol.md §4). */
export interface ShsResult extends BoxKeys {
  remotePublicKey: Uint8Array
}

export interface ClientHandshakeOptions {
  keys: LongTermKeys
  /** The Ed25519 public key of the server we are dialing (known in advance). */
  serverPublicKey: Uint8Array
  /** The 32-byte network key (`caps.shs`), e.g. MAIN_NET_CAPS. */
  caps: Uint8Array
  ephemeral?: EphemeralKeys
}

export interface ServerHandshakeOptions {
  keys: LongTermKeys
  caps: Uint8Array
  /**
   * Called with the client's verified public key after msg3, before msg4 is sent. Returning
   * false (or throwing, or rejecting) ends the handshake with SHS_UNAUTHORIZED and no msg4.
   */
  authorize?: (clientPublicKey: Uint8Array) => boolean | Promise<boolean>
  ephemeral?: EphemeralKeys
}

export { createClientHandshake, type ClientHandshake } from './client.js'
export { createServerHandshake, type ServerHandshake } from './server.js'
export { ShsError, type ShsErrorCode } from './errors.js'
export type {
  ClientHandshakeOptions,
  EphemeralKeys,
  LongTermKeys,
  ServerHandshakeOptions,
  ShsResult,
} from './types.js'
export {
  CAPS_BYTES,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  MAIN_NET_CAPS,
  MSG1_BYTES,
  MSG2_BYTES,
  MSG3_BYTES,
  MSG4_BYTES,
  mainNetCaps,
} from './constants.js'
export { shsClient, shsServer, type ShsConnection, type ShsSocketOptions } from './socket.js'

export { boxedLength, createBoxer, type Boxer } from './boxer.js'
export { createUnboxer, type Unboxer } from './unboxer.js'
export { createBoxDuplex, type BoxKeys, type BoxDuplexOptions } from './box-duplex.js'
export {
  adoptWithReads,
  connectWithReads,
  SocketReads,
  SOCKET_READ_BYTES,
  type OnRead,
  type ReadListener,
  type SocketWithReads,
} from './socket-reads.js'
export { BoxStreamError, type BoxStreamErrorCode } from './errors.js'
export { incrementNonce } from './bytes.js'
export {
  MAX_BOX_BODY_BYTES,
  BOXED_HEADER_BYTES,
  HEADER_PLAINTEXT_BYTES,
  MAC_BYTES,
  KEY_BYTES,
  NONCE_BYTES,
} from './constants.js'

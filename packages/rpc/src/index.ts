export { createRpc } from './connection.js'
export { RpcError, toWireError, type RpcErrorCode, type RpcErrorOptions, type WireError } from './errors.js'
export {
  MAX_FRAME_BODY,
  MAX_OPEN_CALLS,
  MAX_REJECTED_STREAMS,
  OUTBOUND_HIGH_WATER_BYTES,
  ITEMS_PER_TURN,
  CLOSE_TIMEOUT_MS,
  HEADER_BYTES,
} from './constants.js'
export { FrameDecoder, encodeFrame, encodeGoodbye, rawJsonOf, readHeader, type Frame, type FrameHeader } from './frame-codec.js'
export type {
  Api,
  AsyncHandler,
  CallContext,
  CallInfo,
  CallOptions,
  CallType,
  DuplexHandler,
  Handler,
  Logger,
  Manifest,
  PermissionCheck,
  Permissions,
  RemoteApi,
  RpcConnection,
  RpcDeps,
  RpcOptions,
  RpcStats,
  SinkHandler,
  SourceHandler,
  Streamable,
} from './types.js'

export { GossipError, type GossipErrorCode } from './errors.js'
export * from './constants.js'
export {
  decodeMultiserver,
  encodeMultiserver,
  formatAddress,
  isAddress,
  parseAddress,
  parseAddresses,
  toLegacyAddress,
  tryParseAddress,
  type LegacyAddress,
  type MultiserverPart,
  type PeerAddress,
  type TransportKind,
} from './address.js'
export {
  loadPeerTable,
  PeerTable,
  peerValue,
  savePeerTable,
  type PeerChange,
  type PeerRecord,
  type PeerSource,
  type PeerState,
  type PeerTableOptions,
} from './peer-table.js'
export { backoffDelay, Scheduler, systemClock, type Clock, type SchedulerDeps, type SchedulerOptions } from './scheduler.js'
export { startLan, type Lan, type LanDeps, type LanOptions, type LocalPeer } from './lan.js'
export { clampPingInterval, pingSession, type PingOptions, type PingSession } from './ping.js'
export { addSample, type Stats } from './stats.js'

/** Longest address string accepted (several `;` alternatives included). */
export const MAX_ADDRESS_LENGTH = 2048
/** Alternatives (`;`) and parts (`~`) looked at in one address. */
export const MAX_ALTERNATIVES = 16
export const MAX_PARTS = 8
/** DNS names are at most 253 characters; IPv6 literals are shorter. */
export const MAX_HOST_LENGTH = 253

/** Peers kept in the table; beyond this the least useful `pub`/`stored` entries are evicted. */
export const DEFAULT_MAX_PEERS = 1000
/** Largest `gossip.json` read at start-up. */
export const MAX_STATE_FILE_BYTES = 8 * 1024 * 1024

/** ssb-config `gossip.connections`. */
export const DEFAULT_CONNECTIONS = 3
/** How often the scheduler looks at the table (ssb-gossip: 2 s). */
export const DEFAULT_SCHEDULE_INTERVAL_MS = 2000
/** Back-off `min(2^failures × factor, max)` (ssb-gossip schedule.js: 2 s factor, 10 min max). */
export const DEFAULT_BACKOFF_FACTOR_MS = 2000
export const DEFAULT_BACKOFF_MAX_MS = 10 * 60_000
/** Dials (TCP connect + handshake) in flight at once. */
export const DEFAULT_MAX_DIALS = 3
/** A dial that has not produced a connection by then is aborted and counts as a failure. */
export const DEFAULT_DIAL_TIMEOUT_MS = 15_000
/** An outgoing connection without replication traffic this long is dropped when others wait. */
export const DEFAULT_IDLE_MS = 5 * 60_000

/** ssb-local: beacon every second, forget peers not heard for 10 s (checked every 5 s). */
export const DEFAULT_BEACON_INTERVAL_MS = 1000
export const DEFAULT_LOCAL_EXPIRY_MS = 10_000
export const DEFAULT_BROADCAST_ADDRESS = '255.255.255.255'
/** Largest beacon datagram looked at. */
export const MAX_BEACON_BYTES = 1024
/** Different peers remembered from beacons at once. */
export const MAX_LOCAL_PEERS = 64

/** gossip.ping: ms between pings, clamped like ssb-gossip (10 s … 30 min, default 5 min). */
export const DEFAULT_PING_MS = 5 * 60_000
export const MIN_PING_MS = 10_000
export const MAX_PING_MS = 30 * 60_000

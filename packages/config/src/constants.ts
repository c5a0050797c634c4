// Values copied from ssb-config 3.4.6 (`defaults.js`, `default-ports.js`) and ssb-caps 1.1.0.

export const DEFAULT_APP_NAME = 'ssb'

/** ssb-config `default-ports.js`: the services it enumerates when no host is configured. */
export const DEFAULT_PORTS = { net: 8008, ws: 8989 } as const

/** ssb-caps 1.1.0 `caps.json`: the main network's keys. */
export const SSB_CAPS = {
  shs: '1KHLiKZvAvjbY1ziZEHMXawbCEIM6qwjCDm3VYRan/s=',
  sign: null,
  invite: 'HT0wIYuk3OWc2FtaCfHNnakV68jSGRrjRMP9Kos7IQc=',
} as const

const SEC_MS = 1000
const MIN_MS = 60 * SEC_MS

/** ssb-config `defaults.js` timers, in milliseconds. */
export const DEFAULT_TIMERS = {
  connection: 0,
  reconnect: 5 * SEC_MS,
  ping: 5 * MIN_MS,
  handshake: 5 * SEC_MS,
} as const

/** ssb-config `util/incoming-connections.js`: a configured host is bound in every scope. */
export const ALL_SCOPES = ['device', 'local', 'public'] as const

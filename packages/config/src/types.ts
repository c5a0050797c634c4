/**
 * Values that came from environment variables or INI files stay strings, exactly as in
 * ssb-config (`ssb_port=8009` gives `port: '8009'`); argv and JSON give numbers.
 * Convert with `configNumber()` where a number is required.
 */
export type NumberLike = number | string

export interface IncomingTransport {
  host?: string
  port?: NumberLike
  scope?: string | string[]
  transform?: string
  external?: string[]
  key?: string
  cert?: string
  [key: string]: unknown
}

export interface OutgoingTransport {
  transform?: string
  [key: string]: unknown
}

/** The object ssb-config 3.4.6 returns, minus `keys` (see README). */
export interface SsbConfig {
  /** Data directory; default `{homeDir}/.{appName}`. */
  path: string
  party: unknown
  timeout: NumberLike
  pub: boolean
  local: boolean
  friends: { dunbar: NumberLike; hops: NumberLike; [key: string]: unknown }
  gossip: { connections: NumberLike; [key: string]: unknown }
  connections: {
    incoming: Record<string, IncomingTransport[]>
    outgoing: Record<string, OutgoingTransport[]>
    [key: string]: unknown
  }
  timers: {
    connection: NumberLike
    reconnect: NumberLike
    ping: NumberLike
    handshake: NumberLike
    [key: string]: unknown
  }
  caps: { shs: string; sign: string | null; invite?: string; [key: string]: unknown }
  master: string[]
  logging: { level: string; [key: string]: unknown }
  /** Written back from the chosen connections.incoming net (or ws) entry; may be undefined. */
  host?: string
  port?: NumberLike
  /** The chosen connections.incoming ws entry, `{}` when there is none. */
  ws: IncomingTransport
  /** Positional command-line arguments (minimist). */
  _: Array<string | number>
  /** Config files that were read, in order (rc); absent when none was. */
  configs?: string[]
  /** The last config file read (rc overwrites any `config` key with it). */
  config?: string
  [key: string]: unknown
}

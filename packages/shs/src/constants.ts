/** Wire sizes of the four handshake messages (protocol.md §4). */
export const MSG1_BYTES = 64
export const MSG2_BYTES = 64
export const MSG3_BYTES = 112
export const MSG4_BYTES = 80

export const PUBLIC_KEY_BYTES = 32
export const SECRET_KEY_BYTES = 64
export const CAPS_BYTES = 32
export const CURVE_KEY_BYTES = 32

/** Whole-handshake timeout; ssb-config `timers.handshake` default (protocol.md §3). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5000

/**
 * The main SSB network key, `caps.shs` = b64 `1KHLiKZvAvjbY1ziZEHMXawbCEIM6qwjCDm3VYRan/s=`
 * (ssb-caps; protocol.md §3). A fresh copy per call, so nobody can mutate the constant.
 */
export function mainNetCaps(): Uint8Array {
  return new Uint8Array(Buffer.from('1KHLiKZvAvjbY1ziZEHMXawbCEIM6qwjCDm3VYRan/s=', 'base64'))
}

/** The main SSB network key (see mainNetCaps). Treat as read-only. */
export const MAIN_NET_CAPS: Uint8Array = mainNetCaps()

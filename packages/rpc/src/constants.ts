/** Bytes in a packet-stream-codec frame header: flags, uint32 length, int32 request number (protocol.md §6.1). */
export const HEADER_BYTES = 9

/** Largest frame body we accept: above the 5 MiB blob cap of ssb-blobs; JS sends blobs in far smaller frames. */
export const MAX_FRAME_BODY = 8 * 1024 * 1024

/** Incoming requests plus streams open at once per connection; more get an error reply (not unbounded state). */
export const MAX_OPEN_CALLS = 1024

/** Rejected stream calls still waiting for the peer's END; past this the peer is not following the protocol. */
export const MAX_REJECTED_STREAMS = 1024

/** Stream producers stop pulling while the transport holds more than this many unflushed bytes. */
export const OUTBOUND_HIGH_WATER_BYTES = 1024 * 1024

/**
 * Stream items produced back to back before producers yield to the event loop. An async
 * generator that never awaits real I/O is an endless microtask chain: without this, a fast
 * reader would starve timers and the peer's own frames (including its abort).
 */
export const ITEMS_PER_TURN = 64

/** Decoded frames waiting for muxrpc before we stop reading the transport. */
export const MAX_QUEUED_INBOUND_FRAMES = 4096

/** `close()` waits this long for open calls, then as long again for the goodbye exchange. */
export const CLOSE_TIMEOUT_MS = 5000

/** pull-goodbye's marker: a frame header with length 0 on the wire (protocol.md §6.1). */
export const GOODBYE = 'GOODBYE'

/** Frame flag bits (protocol.md §6.1). */
export const FLAG_STREAM = 0x08
export const FLAG_END = 0x04
export const BODY_BINARY = 0
export const BODY_STRING = 1
export const BODY_JSON = 2

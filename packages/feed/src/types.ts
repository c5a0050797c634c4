import type { FeedId, MsgId } from '@ssb/keys'

/** A signed classic message. Key order is as received (and part of what is signed). */
export interface MsgValue {
  previous: MsgId | null
  author: FeedId
  sequence: number
  timestamp: number
  hash: 'sha256'
  content: Record<string, unknown> | string
  signature: string
}

export interface KVT {
  key: MsgId
  value: MsgValue
  timestamp: number
}

/** The latest message of a feed: what the next message must chain onto. */
export interface FeedState {
  id: MsgId
  sequence: number
  timestamp: number
}

export interface FeedOptions {
  /** HMAC sign-cap (`caps.sign`): 32 bytes, or canonical base64 of 32 bytes. Default none. */
  hmacKey?: Uint8Array | string | null
}

export interface ValidatedMessage {
  key: MsgId
  value: MsgValue
  state: FeedState
}

export interface BatchResult {
  /** The valid prefix of the batch, in order. */
  valid: { key: MsgId; value: MsgValue }[]
  /** State after the last valid message (the input state if none was valid). */
  state: FeedState | null
  /** Why the message after the valid prefix was refused, if one was. */
  error?: import('./errors.js').ValidationError
}

// Signed message fixtures made with the JavaScript reference's own tools (ssb-keys 8 +
// ssb-validate 4 `create`), so what we replicate is exactly what ssb-server would produce.
import { createRequire } from 'node:module'
import type { SsbKeysJSON } from './reference.js'

const require = createRequire(import.meta.url)

/** A signed classic message value, key order as ssb-validate creates it. */
export interface MsgValue {
  previous: string | null
  sequence: number
  author: string
  timestamp: number
  hash: 'sha256'
  content: Record<string, unknown> | string
  signature: string
}

interface FeedState {
  id: string | null
  sequence: number | null
  timestamp: number | null
  queue: unknown[]
}
interface SsbValidate {
  create(state: FeedState | null, keys: SsbKeysJSON, hmacKey: string | null, content: object | string, timestamp: number): MsgValue
  id(msg: object): string
}
interface SsbKeys {
  generate(curve?: string, seed?: Buffer): SsbKeysJSON
}

export const ssbValidate = require('ssb-validate') as SsbValidate
export const ssbKeys = require('ssb-keys') as SsbKeys

/** Message id as ssb-validate computes it (sha256 of the latin1 quirk bytes, protocol.md §16.1). */
export function msgId(value: MsgValue): string {
  return ssbValidate.id(value)
}

/** Appends signed messages to one feed; keeps the feed state between calls. */
export class FeedWriter {
  readonly keys: SsbKeysJSON
  readonly messages: MsgValue[] = []
  #state: FeedState | null = null
  #timestamp: number

  constructor(keys: SsbKeysJSON = ssbKeys.generate(), startTimestamp = 1_600_000_000_000) {
    this.keys = keys
    this.#timestamp = startTimestamp
  }

  get id(): string {
    return this.keys.id
  }

  get sequence(): number {
    return this.#state?.sequence ?? 0
  }

  append(content: object | string, timestamp = ++this.#timestamp): MsgValue {
    const value = ssbValidate.create(this.#state, this.keys, null, content, timestamp)
    this.#state = { id: msgId(value), sequence: value.sequence, timestamp: value.timestamp, queue: [] }
    this.messages.push(value)
    return value
  }

  follow(contact: string, following = true): MsgValue {
    return this.append({ type: 'contact', contact, following })
  }

  block(contact: string): MsgValue {
    return this.append({ type: 'contact', contact, blocking: true })
  }
}

export interface FeedSetFixture {
  writers: FeedWriter[]
  /** Every message, round-robin over the feeds (so each feed's messages stay in order). */
  all: MsgValue[]
  /** feed id → number of messages. */
  counts: Record<string, number>
}

/**
 * `total` messages spread evenly over `feedCount` fresh feeds. Contents vary in size and include
 * non-ASCII text, so the latin1-id and UTF-16-size quirks are exercised on the way through.
 */
export function makeFeedSet(feedCount: number, total: number, opts: { label?: string } = {}): FeedSetFixture {
  const label = opts.label ?? 'fixture'
  const writers = Array.from({ length: feedCount }, () => new FeedWriter())
  const all: MsgValue[] = []
  for (let i = 0; i < total; i++) {
    const w = writers[i % feedCount]!
    const text = i % 7 === 0 ? `héllo ✓ ${label} ${i} — ${'x'.repeat(i % 300)}` : `${label} ${i}`
    all.push(w.append({ type: 'post', text, n: i }))
  }
  const counts: Record<string, number> = {}
  for (const w of writers) counts[w.id] = w.sequence
  return { writers, all, counts }
}

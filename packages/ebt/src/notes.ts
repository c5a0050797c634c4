import type { MsgValue } from '@ssb/feed'
import { type FeedId, isFeedId } from '@ssb/keys'

/** A decoded note: sequence (-1 = not replicating) and whether the sender wants to receive. */
export interface Note {
  seq: number
  receive: boolean
}

// Version 3 (protocol.md §9.2): -1 = stop; otherwise seq * 2 + (receive ? 0 : 1).
export function encodeNoteV3(seq: number, receive: boolean): number {
  return seq === -1 ? -1 : seq * 2 + (receive ? 0 : 1)
}

export function decodeNoteV3(note: number): Note {
  if (note < 0) return { seq: -1, receive: false }
  return { seq: Math.floor(note / 2), receive: note % 2 === 0 }
}

// Version 2 (epidemic-broadcast-trees v2.js): seq when receiving, ~seq when not, -1 = stop.
// It cannot say "seq 0, don't send": ~0 is -1, so 0 always means receive.
export function encodeNoteV2(seq: number, receive: boolean): number {
  if (seq === -1) return -1
  if (receive || seq === 0) return seq
  return -seq - 1 // ~seq without the 32-bit wrap
}

export function decodeNoteV2(note: number): Note {
  if (note > -1) return { seq: note, receive: true }
  if (note < -1) return { seq: -note - 1, receive: false }
  return { seq: -1, receive: false }
}

/** Notes are encoded v3 internally (as the JS state machine does) and converted for v2 peers. */
export function toWireNote(v3: number, version: number): number {
  if (version !== 2) return v3
  const { seq, receive } = decodeNoteV3(v3)
  return encodeNoteV2(seq, receive)
}

export function fromWireNote(note: number, version: number): Note {
  return version === 2 ? decodeNoteV2(note) : decodeNoteV3(note)
}

/** epidemic-broadcast-trees `isMsg`: a frame is a message if it looks like one. */
export function isMessageFrame(frame: object): frame is MsgValue {
  const m = frame as Partial<MsgValue>
  return Number.isInteger(m.sequence) && (m.sequence as number) > 0 && typeof m.author === 'string' && !!m.content
}

/**
 * The notes of a frame (`{feed: note}` or `{clock: {…}}`): entries whose key is a feed id and
 * whose value is a safe integer. Other entries are dropped, as ssb-ebt's cleanClock does.
 */
export function readNotesFrame(frame: Record<string, unknown>): [FeedId, number][] {
  const clock = frame.clock !== null && typeof frame.clock === 'object' && !Array.isArray(frame.clock) ? (frame.clock as Record<string, unknown>) : frame
  const out: [FeedId, number][] = []
  for (const key of Object.keys(clock)) {
    const value = clock[key]
    if (typeof value === 'number' && Number.isSafeInteger(value) && isFeedId(key)) out.push([key, value])
  }
  return out
}

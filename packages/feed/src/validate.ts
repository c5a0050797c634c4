import sodium from 'sodium-native'
import type { MsgId } from '@ssb/keys'
import { checkMessageStructure } from './checks.js'
import { ValidationError } from './errors.js'
import { hmac, normalizeHmacKey } from './hmac.js'
import { idOfJson, signatureTail } from './serialize.js'
import type { BatchResult, FeedOptions, FeedState, MsgValue, ValidatedMessage } from './types.js'

/** What a structurally valid message still needs checked: its signature over `text`. */
export interface PreparedMessage {
  key: MsgId
  value: MsgValue
  /** The unsigned canonical text, whose UTF-8 (or its HMAC) is what was signed. */
  text: string
}

function unsignedText(msg: MsgValue, json: string): string {
  const tail = signatureTail(msg.signature)
  if (json.endsWith(tail)) return `${json.slice(0, json.length - tail.length)}\n}`
  // Not reachable for parsed JSON; kept for exotic objects (e.g. accessors).
  const clone: Record<string, unknown> = { ...msg }
  delete clone.signature
  return JSON.stringify(clone, null, 2)
}

/**
 * All checks but the signature, plus the key and the bytes to verify. ssb-validate treats an
 * author of another curve as valid up to verification, where it throws; so do we.
 */
export function prepareMessage(state: FeedState | null | undefined, value: unknown): PreparedMessage {
  const json = checkMessageStructure(state, value)
  const msg = value as MsgValue
  if (!msg.author.endsWith('.ed25519') || msg.author.charCodeAt(45) !== 0x2e) {
    throw new ValidationError('INVALID_AUTHOR', false, 'only ed25519 authors are supported')
  }
  // 88 canonical base64 symbols hold 64 bytes only when they end in `==` (else 65 or 66).
  if (msg.signature.charCodeAt(87) !== 0x3d || msg.signature.charCodeAt(86) !== 0x3d) {
    throw new ValidationError('INVALID_SIGNATURE', true, 'signature does not decode to 64 bytes')
  }
  return { key: idOfJson(json), value: msg, text: unsignedText(msg, json) }
}

/** The author's public key and the signature, base64 (checked canonical by prepareMessage). */
export function publicKeyBase64(p: PreparedMessage): string {
  return p.value.author.slice(1, 45)
}

export function signatureBase64(p: PreparedMessage): string {
  return p.value.signature.slice(0, 88)
}

export function verifyPrepared(p: PreparedMessage, hmacKey: Buffer | null): boolean {
  const utf8 = Buffer.from(p.text, 'utf8')
  const data = hmacKey === null ? utf8 : hmac(hmacKey, utf8)
  return sodium.crypto_sign_verify_detached(
    Buffer.from(signatureBase64(p), 'base64'),
    data,
    Buffer.from(publicKeyBase64(p), 'base64'),
  )
}

export function invalidSignature(): ValidationError {
  return new ValidationError('INVALID_SIGNATURE', true, 'signature does not verify')
}

export function nextState(p: PreparedMessage): FeedState {
  return { id: p.key, sequence: p.value.sequence, timestamp: p.value.timestamp }
}

/** Normalises the sign-cap up front but reports a bad one only where ssb-validate would. */
export function deferredHmacKey(key: unknown): { key: Buffer | null; error: ValidationError | null } {
  try {
    return { key: normalizeHmacKey(key), error: null }
  } catch (err) {
    return { key: null, error: err as ValidationError }
  }
}

/**
 * Validates one message against the state of its feed, with the verdict of ssb-validate 4.1.4
 * `checkInvalid`. The caller passes the state of `value.author`'s feed (null for a new feed).
 */
export function validateMessage(state: FeedState | null, value: unknown, opts: FeedOptions = {}): ValidatedMessage {
  const p = prepareMessage(state, value)
  const hmacKey = normalizeHmacKey(opts.hmacKey)
  if (!verifyPrepared(p, hmacKey)) throw invalidSignature()
  return { key: p.key, value: p.value, state: nextState(p) }
}

/** Same author as the batch's first message: the state chain alone would not catch a switch. */
export function checkSameAuthor(author: string, value: unknown): void {
  if (typeof value === 'object' && value !== null && (value as { author?: unknown }).author !== author) {
    throw new ValidationError('INVALID_AUTHOR', false, 'a batch holds messages of one feed only')
  }
}

/** Single-threaded batch validation of one feed's run of messages; stops at the first invalid one. */
export function validateBatchSync(state: FeedState | null, values: readonly unknown[], opts: FeedOptions = {}): BatchResult {
  const hmacKey = deferredHmacKey(opts.hmacKey)
  const valid: BatchResult['valid'] = []
  let current = state
  for (const value of values) {
    try {
      if (valid.length > 0) checkSameAuthor(valid[0]!.value.author, value)
      const p = prepareMessage(current, value)
      if (hmacKey.error) throw hmacKey.error
      if (!verifyPrepared(p, hmacKey.key)) throw invalidSignature()
      valid.push({ key: p.key, value: p.value })
      current = nextState(p)
    } catch (err) {
      if (err instanceof ValidationError) return { valid, state: current, error: err }
      throw err
    }
  }
  return { valid, state: current }
}

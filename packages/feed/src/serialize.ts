import * as nodeCrypto from 'node:crypto'
import type { MsgId } from '@ssb/keys'
import { ValidationError } from './errors.js'
import type { MsgValue } from './types.js'

/**
 * The canonical text of a message: V8's `JSON.stringify(value, null, 2)`. Key order, number
 * formatting and string escaping all come from the engine, exactly as in ssb-server; pass a
 * value obtained with JSON.parse (or from createMessage), never a re-ordered copy.
 */
export function serializeMessage(value: object): string {
  return JSON.stringify(value, null, 2)
}

// The id hashes latin1 code units (each UTF-16 unit & 0xFF, Node's 'latin1'/'binary'), not
// UTF-8: ssb-keys hashes Buffer.from(json, 'binary') and peers check ids. protocol.md §2.4.
export function idOfJson(json: string): MsgId {
  const latin1 = Buffer.from(json, 'latin1')
  // crypto.hash (Node >= 20.12) skips the Hash object; createHash is the fallback.
  const digest =
    typeof nodeCrypto.hash === 'function'
      ? nodeCrypto.hash('sha256', latin1, 'base64')
      : nodeCrypto.createHash('sha256').update(latin1).digest('base64')
  return `%${digest}.sha256`
}

/** `%<b64 sha256(latin1(JSON.stringify(value, null, 2)))>.sha256`; a string is taken as that JSON. */
export function messageId(valueOrJson: MsgValue | string): MsgId {
  if (typeof valueOrJson === 'string') return idOfJson(valueOrJson)
  let json: string | undefined
  try {
    json = JSON.stringify(valueOrJson, null, 2)
  } catch (err) {
    throw new ValidationError('INVALID_SHAPE', false, 'message is not JSON-serialisable', { cause: err })
  }
  if (typeof json !== 'string') throw new ValidationError('INVALID_SHAPE', false, 'message is not JSON-serialisable')
  return idOfJson(json)
}

/** `,\n  "signature": "<sig>"\n}`: what the signature adds at the end of the canonical text. */
export function signatureTail(signature: string): string {
  return `,\n  "signature": "${signature}"\n}`
}

/**
 * The text that was signed: the canonical text without its last key. `signature` is known to be
 * the last key and a plain base64 string, so cutting the text is the same as deleting the key
 * and stringifying again (ssb-keys verifyObj), without a second stringify.
 */
export function unsignedJson(json: string, signature: string): string {
  const tail = signatureTail(signature)
  if (json.endsWith(tail)) return `${json.slice(0, json.length - tail.length)}\n}`
  throw new ValidationError('INVALID_SHAPE', false, 'signature is not the last key')
}

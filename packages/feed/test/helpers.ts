import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { FeedState, MsgValue } from '../src/index.js'

export function readVectors<T>(name: string): T {
  const url = new URL(`../../../interop/vectors/${name}`, import.meta.url)
  return JSON.parse(readFileSync(url, 'utf8')) as T
}

export interface MessageVectors {
  authorSeedHex: string
  messages: {
    state: FeedState | null
    content: Record<string, unknown>
    timestamp: number
    value: MsgValue
    id: string
    wrongUtf8Id?: string
  }[]
}

export interface JsKeys { curve: string; public: string; private: string; id: string }
type JsMsg = Record<string, unknown>
type JsFeedState = { id: string; sequence: number; timestamp: number; queue: unknown[] } | null

const require = createRequire(import.meta.url)

export const ssbValidate = require('ssb-validate') as {
  create(state: JsFeedState, keys: JsKeys, hmacKey: unknown, content: unknown, timestamp: number): JsMsg
  checkInvalid(state: unknown, hmacKey: unknown, msg: unknown): false | Error
  id(msg: unknown): string
  initial(): { feeds: Record<string, unknown>; queue: unknown[]; validated: number }
  append(state: unknown, hmacKey: unknown, msg: unknown): unknown
  appendNew(state: unknown, hmacKey: unknown, keys: JsKeys, content: unknown, timestamp: number): unknown
}

export const ssbKeys = require('ssb-keys') as {
  generate(curve?: string, seed?: Buffer): JsKeys
  signObj(keys: JsKeys, hmacKey: unknown, obj: JsMsg): JsMsg
  hash(data: string): string
}

/** ssb-validate's verdict: checkInvalid returning false, where a thrown error also means invalid. */
export function jsIsValid(state: FeedState | null, hmacKey: unknown, msg: unknown): boolean {
  try {
    return ssbValidate.checkInvalid(state, hmacKey, msg) === false
  } catch {
    return false
  }
}

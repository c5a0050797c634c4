import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

export function readVectors<T>(name: string): T {
  const url = new URL(`../../../interop/vectors/${name}`, import.meta.url)
  return JSON.parse(readFileSync(url, 'utf8')) as T
}

export interface PrivateBoxCase {
  description: string
  nonceHex: string
  keyHex: string
  ephemeralSecretHex: string
  ephemeralPublic: string
  recipients: { seedHex: string; id: string }[]
  nonRecipients: { seedHex: string; id: string }[]
  plaintext: string
  plaintextBytes: number
  unboxKey: string
  boxBytes: number
  box: string
}

export const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

/** The JavaScript reference, ssb-keys 8.5.0 (CommonJS, no types). */
export interface SsbKeysJs {
  generate(): { curve: string; public: string; private: string; id: string }
  box(content: unknown, recps: string[]): string
  unbox(boxed: string, keys: { private: string } | string): unknown
  unboxKey(boxed: string, keys: { private: string }): Buffer | null | undefined
  unboxBody(boxed: string, key: Buffer | string): unknown
}

export const ssbKeysJs = createRequire(import.meta.url)('ssb-keys') as SsbKeysJs

import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export interface BoxStreamVector {
  description: string
  key: string
  nonce: string
  writes: string[]
  wire: string
  header?: string
  body?: string
  goodbye?: string
}

const file = fileURLToPath(new URL('../../../interop/vectors/box-stream.json', import.meta.url))

export const vectors: BoxStreamVector[] = (JSON.parse(readFileSync(file, 'utf8')) as { cases: BoxStreamVector[] }).cases

export const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
export const toHex = (u8: Uint8Array): string => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('hex')

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

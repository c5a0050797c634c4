import { readFileSync } from 'node:fs'

export function readVectors<T>(name: string): T {
  const url = new URL(`../../../interop/vectors/${name}`, import.meta.url)
  return JSON.parse(readFileSync(url, 'utf8')) as T
}

export interface KeyVector {
  seedHex: string
  curve: 'ed25519'
  public: string
  private: string
  id: string
  curvePublic: string
  curveSecret: string
  signatures: { dataUtf8: string; signature: string }[]
}

export interface LinkVectors {
  valid: { link: string; sigil: string; suffix: string; bytesB64: string; query?: string }[]
  invalid: { link: string; why: string }[]
}

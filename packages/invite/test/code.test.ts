import { generateKeys, toBase64 } from '@ssb/keys'
import { describe, expect, test } from 'vitest'
import {
  formatLegacyInvite,
  formatMultiserverInvite,
  guestKeys,
  InviteError,
  isInviteCode,
  MAX_INVITE_CODE_LENGTH,
  parseInviteCode,
  pubMessageAddress,
} from '../src/index.js'

const pub = generateKeys()
const pubB64 = pub.public.replace(/\.ed25519$/, '')
const seed = new Uint8Array(32).map((_, i) => i * 7)
const seedB64 = toBase64(seed)

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return err instanceof InviteError ? err.code : `not an InviteError: ${String(err)}`
  }
  return undefined
}

describe('parseInviteCode', () => {
  test('legacy host:port:@key~seed (what ssb-invite 2 creates), converted to multiserver', () => {
    const p = parseInviteCode(`pub.example.com:8008:${pub.id}~${seedB64}`)
    expect(p.format).toBe('legacy')
    expect(p).toMatchObject({ transport: 'net', host: 'pub.example.com', port: 8008, key: pub.id, redirect: null })
    expect(p.seed).toEqual(seed)
    expect(p.publicKey).toEqual(pub.publicKey)
    expect(p.remote).toBe(`net:pub.example.com:8008~shs:${pubB64}`)
    expect(p.invite).toBe(`net:pub.example.com:8008~shs:${pubB64}:${seedB64}`)
  })

  test('legacy with IPv6 host, #redirect suffix, surrounding quotes and whitespace', () => {
    const p = parseInviteCode(`  "::1:8008:${pub.id}~${seedB64}#/redirect/x"\n`)
    expect(p).toMatchObject({ host: '::1', port: 8008, key: pub.id, redirect: '#/redirect/x' })
    expect(p.remote).toBe(`net:::1:8008~shs:${pubB64}`)
  })

  test('legacy onion host becomes an onion address', () => {
    const p = parseInviteCode(`abcdefghij234567.onion:8008:${pub.id}~${seedB64}`)
    expect(p.transport).toBe('onion')
    expect(p.remote).toBe(`onion:abcdefghij234567.onion:8008~shs:${pubB64}`)
  })

  test('multiserver net and ws ("modern") codes; first usable alternative wins', () => {
    const net = parseInviteCode(`net:10.1.2.3:9000~shs:${pubB64}:${seedB64}`)
    expect(net).toMatchObject({ format: 'multiserver', transport: 'net', host: '10.1.2.3', port: 9000, key: pub.id })
    const ws = parseInviteCode(`ws://example.org:8989~shs:${pubB64}:${seedB64}`)
    expect(ws).toMatchObject({ transport: 'ws', host: 'example.org', port: 8989 })
    expect(ws.remote).toBe(`ws://example.org:8989~shs:${pubB64}`)
    expect(pubMessageAddress(ws)).toEqual({ host: 'ws://example.org', port: 8989, key: pub.id })
    const multi = parseInviteCode(`dht:xyz~noauth;net:h.example:1~shs:${pubB64}:${seedB64}`)
    expect(multi).toMatchObject({ host: 'h.example', port: 1 })
  })

  test('format → parse round trip for both forms', () => {
    const legacy = formatLegacyInvite({ host: '127.0.0.1', port: 4242, key: pub.id }, seed)
    expect(legacy).toBe(`127.0.0.1:4242:${pub.id}~${seedB64}`)
    expect(parseInviteCode(legacy).invite).toBe(formatMultiserverInvite({ transport: 'net', host: '127.0.0.1', port: 4242, key: pub.id }, seed))
    expect(isInviteCode(legacy)).toBe(true)
  })

  test('bad codes are refused with INVITE_BAD_CODE', () => {
    const bad = [
      undefined,
      42,
      '',
      'hello',
      `net:h:8008~shs:${pubB64}`, // an address, no seed
      `h:8008:${pub.id}`, // legacy address, no seed
      `h:0:${pub.id}~${seedB64}`, // port 0
      `h:70000:${pub.id}~${seedB64}`,
      `h:80x:${pub.id}~${seedB64}`,
      `:8008:${pub.id}~${seedB64}`, // no host
      `h h:8008:${pub.id}~${seedB64}`,
      `h:8008:@abc.ed25519~${seedB64}`, // short key
      `net:h:8008~shs:${pubB64}:${seedB64.slice(0, -2)}B=`, // non-canonical seed (low bits set)
      `net:h:8008~shs:${pubB64}:AAAA`, // short seed
      `net:h:8008~shs:${pubB64}:${seedB64}:extra`,
      `ws:h:8989~shs:${pubB64}:${seedB64}`, // ws without //
      `udp:h:8008~shs:${pubB64}:${seedB64}`,
      `${'a'.repeat(MAX_INVITE_CODE_LENGTH)}:8008:${pub.id}~${seedB64}`,
      `${'a'.repeat(300)}:8008:${pub.id}~${seedB64}`, // host too long
    ]
    for (const c of bad) expect([c, codeOf(() => parseInviteCode(c))]).toEqual([c, 'INVITE_BAD_CODE'])
    expect(isInviteCode('nope')).toBe(false)
  })
})

describe('guestKeys', () => {
  test('is crypto_sign_seed_keypair (RFC 8032 test 1)', () => {
    const rfcSeed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex')
    const k = guestKeys(new Uint8Array(rfcSeed))
    expect(Buffer.from(k.publicKey).toString('hex')).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
    expect(k.id).toBe(`@${Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex').toString('base64')}.ed25519`)
  })
})

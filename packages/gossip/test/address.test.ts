import { generateKeys, toBase64 } from '@ssb/keys'
import { describe, expect, test } from 'vitest'
import {
  decodeMultiserver,
  encodeMultiserver,
  formatAddress,
  GossipError,
  isAddress,
  MAX_ADDRESS_LENGTH,
  parseAddress,
  parseAddresses,
  toLegacyAddress,
  tryParseAddress,
} from '../src/index.js'

const keys = generateKeys()
const b64 = keys.public.replace(/\.ed25519$/, '')
const seed = toBase64(new Uint8Array(32).fill(7))

function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(GossipError)
    return (err as GossipError).code
  }
  return undefined
}

describe('multiserver addresses', () => {
  test('net with an IPv4 host', () => {
    const a = parseAddress(`net:192.168.1.23:8008~shs:${b64}`)
    expect(a).toMatchObject({ transport: 'net', host: '192.168.1.23', port: 8008, key: keys.id })
    expect(toBase64(a.publicKey)).toBe(b64)
    expect(a.address).toBe(`net:192.168.1.23:8008~shs:${b64}`)
    expect(a.seed).toBeUndefined()
  })

  test('raw IPv6 hosts: the port is the last field', () => {
    const a = parseAddress(`net:fe80::1:8008~shs:${b64}`)
    expect(a).toMatchObject({ transport: 'net', host: 'fe80::1', port: 8008 })
    expect(a.address).toBe(`net:fe80::1:8008~shs:${b64}`)
    expect(parseAddress(`net:::1:9000~shs:${b64}`).host).toBe('::1')
  })

  test('invite form with a seed', () => {
    const a = parseAddress(`net:example.org:8008~shs:${b64}:${seed}`)
    expect(a.host).toBe('example.org')
    expect(toBase64(a.seed!)).toBe(seed)
    expect(a.address).toBe(`net:example.org:8008~shs:${b64}:${seed}`)
  })

  test('ws and wss, with and without a port or path', () => {
    expect(parseAddress(`ws://localhost:8989~shs:${b64}`)).toMatchObject({ transport: 'ws', host: 'localhost', port: 8989 })
    expect(parseAddress(`wss://pub.example.com~shs:${b64}`)).toMatchObject({ transport: 'wss', host: 'pub.example.com', port: 443 })
    const p = parseAddress(`ws://10.0.0.1:80/ssb~shs:${b64}`)
    expect(p).toMatchObject({ transport: 'ws', host: '10.0.0.1', port: 80, path: '/ssb' })
    expect(p.address).toBe(`ws://10.0.0.1:80/ssb~shs:${b64}`)
    const v6 = parseAddress(`ws://[::1]:8989~shs:${b64}`)
    expect(v6).toMatchObject({ host: '::1', port: 8989 })
    expect(v6.address).toBe(`ws://[::1]:8989~shs:${b64}`)
  })

  test('onion', () => {
    const host = 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion'
    expect(parseAddress(`onion:${host}:8008~shs:${b64}`)).toMatchObject({ transport: 'onion', host, port: 8008 })
    expect(code(() => parseAddress(`onion:not-onion.com:8008~shs:${b64}`))).toBe('GOSSIP_INVALID_ADDRESS')
  })

  test('several alternatives: unknown transports are skipped, order kept', () => {
    const s = `dht:abc:def~noauth;ws://1.2.3.4:8989~shs:${b64};net:1.2.3.4:8008~shs:${b64}`
    const all = parseAddresses(s)
    expect(all.map((a) => a.transport)).toEqual(['ws', 'net'])
    expect(parseAddress(s).transport).toBe('ws')
  })

  test('! escapes', () => {
    const parts = decodeMultiserver('foo:a!:b!~c!;d!!e~bar')
    expect(parts).toEqual([[{ name: 'foo', data: ['a:b~c;d!e'] }, { name: 'bar', data: [] }]])
    expect(encodeMultiserver(parts)).toBe('foo:a!:b!~c!;d!!e~bar')
    expect(code(() => decodeMultiserver('foo:a!x'))).toBe('GOSSIP_INVALID_ADDRESS')
    expect(code(() => decodeMultiserver('foo:a!'))).toBe('GOSSIP_INVALID_ADDRESS')
  })
})

describe('legacy and object forms', () => {
  test('host:port:@key.ed25519', () => {
    const a = parseAddress(`127.0.0.1:8008:${keys.id}`)
    expect(a).toMatchObject({ transport: 'net', host: '127.0.0.1', port: 8008, key: keys.id })
    expect(a.address).toBe(`net:127.0.0.1:8008~shs:${b64}`)
    expect(parseAddress(`::1:8008:${keys.id}`).host).toBe('::1')
  })

  test('{host, port, key} and {address}', () => {
    expect(parseAddress({ host: 'pub.example.com', port: 8008, key: keys.id }).address).toBe(`net:pub.example.com:8008~shs:${b64}`)
    expect(parseAddress({ host: 'pub.example.com', port: '8008', key: keys.id }).port).toBe(8008)
    expect(parseAddress({ host: 'ws://pub.example.com', port: 80, key: keys.id }).transport).toBe('ws')
    expect(parseAddress({ address: `net:10.1.1.1:8008~shs:${b64}` }).host).toBe('10.1.1.1')
  })

  test('round trip through toLegacyAddress and formatAddress', () => {
    const a = parseAddress(`net:10.0.0.2:8008~shs:${b64}`)
    expect(toLegacyAddress(a)).toEqual({ host: '10.0.0.2', port: 8008, key: keys.id })
    expect(formatAddress({ host: '10.0.0.2', port: 8008, key: keys.id })).toBe(a.address)
    expect(formatAddress({ host: '10.0.0.2', port: 8008, key: a.publicKey })).toBe(a.address)
    expect(parseAddress(formatAddress(a)).address).toBe(a.address)
  })
})

describe('hostile and broken input', () => {
  const bad: Array<[string, unknown]> = [
    ['empty', ''],
    ['no key', 'net:1.2.3.4:8008~shs:'],
    ['short key', `net:1.2.3.4:8008~shs:${toBase64(new Uint8Array(31))}`],
    ['non-canonical key', `net:1.2.3.4:8008~shs:${b64.slice(0, 42)}B=`],
    ['bad seed', `net:1.2.3.4:8008~shs:${b64}:abc`],
    ['port 0', `net:1.2.3.4:0~shs:${b64}`],
    ['port too big', `net:1.2.3.4:65536~shs:${b64}`],
    ['port not a number', `net:1.2.3.4:80a~shs:${b64}`],
    ['no host', `net::8008~shs:${b64}`],
    ['space in host', `net:a b:8008~shs:${b64}`],
    ['control character', `net:a\u0000b:8008~shs:${b64}`],
    ['non-ascii host', `net:exämple.com:8008~shs:${b64}`],
    ['only an unknown transport', `dht:xyz~shs:${b64}`],
    ['shs with extra fields', `net:1.2.3.4:8008~shs:${b64}:${seed}:more`],
    ['extra transform', `net:1.2.3.4:8008~shs:${b64}~noauth`],
    ['legacy without @', `1.2.3.4:8008:${b64}`],
    ['legacy with bad key', `1.2.3.4:8008:@abc.ed25519`],
    ['ws with credentials', `ws://u:p@1.2.3.4:80~shs:${b64}`],
    ['number', 42],
    ['null', null],
    ['array', [`net:1.2.3.4:8008~shs:${b64}`]],
    ['object without key', { host: 'a.com', port: 1 }],
    ['uppercase protocol', `NET:1.2.3.4:8008~shs:${b64}`],
  ]
  test.each(bad)('%s is rejected with GOSSIP_INVALID_ADDRESS', (_name, input) => {
    expect(code(() => parseAddress(input))).toBe('GOSSIP_INVALID_ADDRESS')
    expect(tryParseAddress(input)).toBeNull()
    expect(isAddress(input)).toBe(false)
  })

  test('over-long input is refused before parsing', () => {
    const long = `net:${'a'.repeat(MAX_ADDRESS_LENGTH)}:8008~shs:${b64}`
    expect(code(() => parseAddress(long))).toBe('GOSSIP_ADDRESS_TOO_LONG')
    expect(code(() => decodeMultiserver(';'.repeat(MAX_ADDRESS_LENGTH + 1)))).toBe('GOSSIP_ADDRESS_TOO_LONG')
  })

  test('too many alternatives or parts', () => {
    const many = Array.from({ length: 17 }, () => `net:1.2.3.4:8008~shs:${b64}`).join(';')
    expect(code(() => parseAddresses(many))).toBe('GOSSIP_INVALID_ADDRESS')
    expect(code(() => decodeMultiserver(Array.from({ length: 9 }, () => 'ab').join('~')))).toBe('GOSSIP_INVALID_ADDRESS')
  })

  test('a bad alternative does not hide a good one', () => {
    expect(parseAddress(`net:1.2.3.4:0~shs:${b64};net:1.2.3.4:8008~shs:${b64}`).port).toBe(8008)
  })

  test('random garbage never throws anything but GossipError', () => {
    let seedN = 1
    const rnd = () => (seedN = (seedN * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
    const alphabet = `net:shs~;!@.ws/[]:0123456789${b64}`
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(rnd() * 120)
      let s = ''
      for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)]
      try {
        parseAddresses(s)
      } catch (err) {
        expect(err).toBeInstanceOf(GossipError)
      }
    }
  })
})

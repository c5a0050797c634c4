// Differential properties: our ports against the real modules ssb-config 3.4.6 runs
// (minimist 1.2.8, ini 1.3.8, strip-json-comments 2.0.1, deep-extend 0.6.0, rc 1.2.8, ip 1.1.9),
// loaded from ssb-config's own dependency tree. Internal modules are imported directly here
// because only parseArgv is public.
import { createRequire } from 'node:module'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { deepMerge } from '../src/deep-extend.js'
import { decodeIni } from '../src/ini.js'
import { isPrivateAddress } from '../src/ip.js'
import { envConfig, parseConfigText } from '../src/rc.js'
import { stripJsonComments } from '../src/strip-json-comments.js'
import { ConfigError, parseArgv } from '../src/index.js'

type Fn = (...args: unknown[]) => unknown
const fromPkg = createRequire(import.meta.url)
const fromSsbConfig = createRequire(fromPkg.resolve('ssb-config/inject'))
const fromRc = createRequire(fromSsbConfig.resolve('rc'))
const minimist = fromRc('minimist') as Fn
const ini = fromRc('ini') as { decode: Fn }
const realStrip = fromRc('strip-json-comments') as Fn
const rcUtils = fromRc('./lib/utils') as { env: Fn; parse: Fn }
const deepExtend = fromSsbConfig('deep-extend') as Fn
const ip = fromSsbConfig('ip') as { isPrivate: (a: string) => boolean }

const RUNS = { numRuns: 2000 }

function outcome(fn: () => unknown): { ok: unknown } | { threw: true } {
  try {
    return { ok: fn() }
  } catch {
    return { threw: true }
  }
}

const argToken = fc.oneof(
  fc.constantFrom(
    '--a', '--b', '--a.b', '--a.b.c', '--no-a', '--no-a.b', '--a=1', '--a=', '--a=x=y', '--b=0x1F', '-x', '-ab',
    '-abc', '-n5', '-a=b', '-a-', '-x.y', '--', '-', '---a', 'true', 'false', '5', '-5', '1e3', '0x10', '.5',
    '+3', 'abc', '', 'a b', '--a.0', '-1.5',
  ),
  fc.stringMatching(/^-{0,2}[abn01.=e -]{0,6}$/),
)

describe('parseArgv vs minimist 1.2.8', () => {
  test('same result, or both reject', () => {
    fc.assert(
      fc.property(fc.array(argToken, { maxLength: 8 }), (args) => {
        const ours = outcome(() => parseArgv(args))
        const theirs = outcome(() => minimist(args))
        expect(ours).toEqual(theirs)
      }),
      RUNS,
    )
  })

  test('a key set under a plain value throws ConfigError CONFIG_BAD_ARGV (minimist: TypeError)', () => {
    expect(() => minimist(['--a', '1', '--a.b', '2'])).toThrow(TypeError)
    expect(() => parseArgv(['--a', '1', '--a.b', '2'])).toThrow(ConfigError)
    try {
      parseArgv(['--a', '1', '--a.b', '2'])
    } catch (err) {
      expect((err as ConfigError).code).toBe('CONFIG_BAD_ARGV')
    }
  })
})

const iniLine = fc.oneof(
  fc.constantFrom(
    '[a]', '[a.b]', '[a\\.b]', '[ "q" ]', '[__proto__]', 'a=1', 'a[]=x', 'a[]=y', 'b = "q"', "c='true'", 'd=null',
    'e', '; comment', '# c', 'f = x ; comment', 'g = a\\;b', 'h = "a;b"', 'i=true', ' j = 2 ', 'k=\\', '[]', 'a.b=1',
    '__proto__=1', '=x',
  ),
  fc.stringMatching(/^[ab=[\];#"'\\. 1]{0,8}$/),
)

describe('INI and JSON config text vs ini 1.3.8 / rc parse', () => {
  test('decodeIni equals ini.decode', () => {
    fc.assert(
      fc.property(fc.array(iniLine, { maxLength: 10 }), fc.constantFrom('\n', '\r\n', '\r'), (lines, eol) => {
        const text = lines.join(eol)
        expect(decodeIni(text)).toEqual(ini.decode(text))
      }),
      RUNS,
    )
  })

  test('stripJsonComments equals strip-json-comments', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^["/*\\\nab{} \r]{0,24}$/), (text) => {
        expect(stripJsonComments(text)).toBe(realStrip(text))
      }),
      RUNS,
    )
  })

  test('parseConfigText equals rc parse, or both reject', () => {
    const jsonish = fc.oneof(
      fc.json().map((j) => `{"v": ${j}} // c`),
      fc.stringMatching(/^ ?\{["/*\\\nab:,{}1 ]{0,20}$/),
    )
    fc.assert(
      fc.property(jsonish, (text) => {
        const ours = outcome(() => parseConfigText(text, '/x/config'))
        expect(ours).toEqual(outcome(() => rcUtils.parse(text)))
      }),
      RUNS,
    )
  })
})

const jsonTree = fc.letrec((tie) => ({
  node: fc.oneof(
    { maxDepth: 3 },
    fc.constantFrom(null, true, false, 0, 1, 'x', ''),
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c', 'toString'), tie('node'), { maxKeys: 3 }),
  ),
})).node

describe('deepMerge vs deep-extend 0.6.0', () => {
  test('deepMerge(...xs) equals deepExtend({}, ...xs) and leaves inputs untouched', () => {
    fc.assert(
      fc.property(fc.array(jsonTree, { maxLength: 4 }), (xs) => {
        const before = JSON.stringify(xs)
        const ours = deepMerge(...xs)
        expect(JSON.stringify(xs)).toBe(before)
        expect(ours).toEqual(deepExtend({}, ...structuredClone(xs)))
      }),
      RUNS,
    )
  })
})

describe('env layer vs rc env()', () => {
  test('envConfig equals rc utils.env', () => {
    const name = fc.oneof(
      fc.constantFrom('ssb_a', 'SSB_A', 'ssb_a__b', 'ssb_a__b__c', 'ssb___', 'ssb_', 'ssb__a', 'other', 'ssbx', 'Ssb_b__'),
      fc.stringMatching(/^ssb_[ab_]{0,6}$/),
    )
    fc.assert(
      fc.property(fc.dictionary(name, fc.constantFrom('1', 'x', ''), { maxKeys: 6 }), (env) => {
        expect(envConfig('ssb_', env)).toEqual(rcUtils.env('ssb_', env))
      }),
      RUNS,
    )
  })
})

describe('interface scope vs ip 1.1.9 isPrivate', () => {
  test('IPv4 and IPv6 addresses', () => {
    const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'))
    const v4Special = fc
      .tuple(fc.constantFrom(10, 127, 169, 172, 192), fc.constantFrom(0, 15, 16, 31, 32, 168, 254), fc.nat(255), fc.nat(255))
      .map((o) => o.join('.'))
    const v6 = fc.constantFrom('::1', '::', 'fe80::1', 'fe80::fc:ff:fe00:1', 'fd00::2', 'fc12::1', '2001:db8::1', '::ffff:10.0.0.1', '::ffff:8.8.8.8')
    fc.assert(
      fc.property(fc.oneof(v4, v4Special, v6), (addr) => {
        expect(isPrivateAddress(addr)).toBe(ip.isPrivate(addr))
      }),
      RUNS,
    )
  })
})

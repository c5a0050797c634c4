import fc from 'fast-check'

// Characters that stress serialisation and the latin1 id: escapes, controls, lone surrogates,
// astral characters, U+2028, latin1 range, €.
const SPECIAL = ['"', '\\', '\n', '\t', '\u0000', '\u001f', '\u007f', '\u00ff', '\u0100', '€', '😀', '\ud800', '\udfff', '\u2028', '\ufeff', 'é']
export const trickyChar = fc.oneof(fc.constantFrom(...SPECIAL), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.string({ minLength: 1, maxLength: 1 }))
export const trickyString = (maxLength = 40) => fc.string({ unit: trickyChar, maxLength })

export const trickyNumber = fc.oneof(
  fc.constantFrom(1e21, 1e-7, 0.1, -0, 0, 0.30000000000000004, 5e-324, 1.7976931348623157e308, -1e21, 123456789012345680000, 2 ** 53, 1700000000000.001),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
)

const key = fc.oneof(fc.constantFrom('0', '42', '1', '10', '-1', '01', '4294967294', '4294967295', 'type', '__proto__', 'a'), trickyString(8))

export const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    trickyString(),
    trickyNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  ),
})).value

/** A content `type`: mostly valid, sometimes outside 3..52 code units or not a string. */
export const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: trickyChar, minLength: 3, maxLength: 52 }) },
  { weight: 1, arbitrary: fc.string({ unit: trickyChar, minLength: 0, maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, 42, ['post'], 'ab', 'x'.repeat(53), '😀😀', '😀😀😀') },
)

const b64Char = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split(''))
export const boxString = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => `${Buffer.from(b).toString('base64')}.box`),
  fc.tuple(fc.uint8Array({ maxLength: 100 }), fc.constantFrom('.box', '.box2', '.boxs', '.box\n', 'box', '.bo')).map(([b, s]) => Buffer.from(b).toString('base64') + s),
  fc.tuple(fc.string({ unit: b64Char, maxLength: 50 }), fc.constantFrom('', '=', '==')).map(([s, p]) => `${s}${p}.box`),
)

/** Padding that puts a message near the 8192 limit. */
export const longText = fc
  .tuple(fc.integer({ min: 7500, max: 8300 }), fc.constantFrom('a', '€', '😀', '\u0001', 'é'))
  .map(([n, c]) => c.repeat(Math.ceil(n / c.length)).slice(0, n))

export const content = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(contentType, fc.dictionary(key, jsonValue, { maxKeys: 6 })).map(([type, rest]) => ({ ...rest, type })) },
  { weight: 1, arbitrary: fc.tuple(contentType, longText).map(([type, text]) => ({ type, text })) },
  { weight: 1, arbitrary: boxString },
)

export const timestamp = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 42 }),
  fc.constantFrom(1700000000000.001, 0, -0, 1e21, 0.1, 1e-7, -1),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
)

export const hmacKey = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64')) },
)

export const msgId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `%${Buffer.from(b).toString('base64')}.sha256` as `%${string}.sha256`)
export const seed = fc.uint8Array({ minLength: 32, maxLength: 32 })

import { generateKeys, keysToJSON, type Keys } from '@ssb/keys'
import { describe, expect, test } from 'vitest'
import { boxContent, unboxContent, unboxContentKey } from '@ssb/private-box'
import { ssbKeysJs } from './helpers.js'

const people: Keys[] = Array.from({ length: 8 }, () => generateKeys())
const outsider = people[7]!

function contentFor(recps: Keys[], n: number): Record<string, unknown> {
  return { type: 'post', text: `hello ${n} ✓ ${'x'.repeat(n * 13)}`, n, nested: { a: [1, 2.5, null, true] }, recps: recps.map((k) => k.id) }
}

describe.each([1, 2, 3, 4, 5, 6, 7])('%i recipient(s), against ssb-keys 8.5.0', (n) => {
  const recps = people.slice(0, n)
  const content = contentFor(recps, n)

  test('ssb-keys box → our unboxContent, for every recipient', () => {
    const boxed = ssbKeysJs.box(content, content.recps as string[])
    for (const k of recps) expect(unboxContent(boxed, k)).toEqual(content)
    expect(unboxContent(boxed, outsider)).toBeNull()
  })

  test('our boxContent → ssb-keys unbox, for every recipient', () => {
    const boxed = boxContent(content, content.recps as string[])
    for (const k of recps) expect(ssbKeysJs.unbox(boxed, keysToJSON(k))).toEqual(content)
    expect(ssbKeysJs.unbox(boxed, keysToJSON(outsider))).toBeUndefined()
  })

  test('unbox keys agree with ssb-keys unboxKey / unboxBody', () => {
    const boxed = boxContent(content, content.recps as string[])
    for (const k of recps) {
      const ours = unboxContentKey(boxed, k)!
      const theirs = ssbKeysJs.unboxKey(boxed, keysToJSON(k))!
      expect(Buffer.from(ours).equals(theirs)).toBe(true)
      expect(ssbKeysJs.unboxBody(boxed, Buffer.from(ours))).toEqual(content)
    }
  })
})

test('compact stringify includes recps and non-ASCII, exactly as ssb-keys', () => {
  const [a, b] = people
  const content = { type: 'post', text: 'ünïcødé 🙂 "quoted"\n', recps: [a!.id, b!.id], mentions: [] }
  const ours = unboxContent(boxContent(content, content.recps), b!)
  const theirs = ssbKeysJs.unbox(boxContent(content, content.recps), keysToJSON(a!))
  expect(ours).toEqual(content)
  expect(theirs).toEqual(content)
})

test('slot search matches private-box 0.3.1 (i = 0..max inclusive) on a 9-recipient box', () => {
  const nine = [...people.slice(0, 8), generateKeys()]
  const content = { type: 'post', text: 'nine', recps: nine.map((k) => k.id) }
  const boxed = boxContent(content, content.recps, { maxRecipients: 9 })
  expect(ssbKeysJs.unbox(boxed, keysToJSON(nine[7]!))).toEqual(content)
  expect(unboxContent(boxed, nine[7]!)).toEqual(content)
  expect(ssbKeysJs.unbox(boxed, keysToJSON(nine[8]!))).toBeUndefined()
  expect(unboxContent(boxed, nine[8]!)).toBeNull()
})

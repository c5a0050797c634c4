import fc from 'fast-check'
import { expect, test } from 'vitest'
import { decodeNoteV2, decodeNoteV3, encodeNoteV2, encodeNoteV3, isMessageFrame } from '../src/index.js'

const seq = fc.integer({ min: 0, max: 2 ** 40 })

test('v3 notes round-trip and match the JS encoding for 31-bit sequences', () => {
  fc.assert(
    fc.property(seq, fc.boolean(), (s, receive) => {
      const note = encodeNoteV3(s, receive)
      expect(decodeNoteV3(note)).toEqual({ seq: s, receive })
      // epidemic-broadcast-trees v3.js: seq << 1 | !rx, decoded with >> 1 and & 1
      if (s < 2 ** 30) {
        expect(note).toBe((s << 1) | (receive ? 0 : 1))
        expect(note >> 1).toBe(s)
      }
    }),
  )
  expect(encodeNoteV3(-1, true)).toBe(-1)
  expect(decodeNoteV3(-1)).toEqual({ seq: -1, receive: false })
  expect(encodeNoteV3(10, true)).toBe(20)
  expect(encodeNoteV3(10, false)).toBe(21)
})

test('v2 notes round-trip (except "0, do not send", which v2 cannot say)', () => {
  fc.assert(
    fc.property(seq, fc.boolean(), (s, receive) => {
      const decoded = decodeNoteV2(encodeNoteV2(s, receive))
      expect(decoded).toEqual({ seq: s, receive: s === 0 ? true : receive })
    }),
  )
  expect(encodeNoteV2(5, false)).toBe(-6)
  expect(decodeNoteV2(-1)).toEqual({ seq: -1, receive: false })
})

test('message frames are recognised as epidemic-broadcast-trees does', () => {
  expect(isMessageFrame({ sequence: 1, author: '@a', content: { type: 'x' } })).toBe(true)
  expect(isMessageFrame({ sequence: 1, author: '@a', content: 'abc.box' })).toBe(true)
  expect(isMessageFrame({ sequence: 0, author: '@a', content: {} })).toBe(false)
  expect(isMessageFrame({ sequence: 1.5, author: '@a', content: {} })).toBe(false)
  expect(isMessageFrame({ '@a': 2 })).toBe(false)
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.integer()), (clock) => {
      expect(isMessageFrame(clock)).toBe(false)
    }),
  )
})

import { isBlobId } from '@ssb/keys'
import fc from 'fast-check'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { decodeWantMap } from '@ssb/blobs'
import { idOf, randomBytesOf } from './helpers.js'
import { makeNode, type Node, openFrames } from './sync-helpers.js'

const realIds = Array.from({ length: 8 }, (_, i) => idOf(randomBytesOf(16, i + 1)))
const keyArb = fc.oneof(
  fc.constantFrom(...realIds),
  fc.string(),
  fc.constantFrom('__proto__', 'constructor', 'toString', '&', '&AAAA.sha256', realIds[0]!.replace('=', 'A'), realIds[0]! + ' '),
)
const valueArb = fc.oneof(
  fc.integer({ min: -10, max: 10 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53), 0, -0, 1e300),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
)
const frameArb = fc.oneof(
  fc.dictionary(keyArb, valueArb, { maxKeys: 20 }),
  fc.jsonValue(),
  fc.anything(),
  fc.uint8Array({ maxLength: 8 }),
)

test('decodeWantMap never throws and keeps only blob id → non-zero safe integer', () => {
  fc.assert(
    fc.property(frameArb, (frame) => {
      const d = decodeWantMap(frame)
      for (const [id, n] of d.wants) {
        expect(isBlobId(id)).toBe(true)
        expect(Number.isSafeInteger(n) && n < 0).toBe(true)
      }
      for (const [id, n] of d.haves) {
        expect(isBlobId(id)).toBe(true)
        expect(Number.isSafeInteger(n) && n > 0).toBe(true)
      }
      if (typeof frame === 'object' && frame !== null && !Array.isArray(frame) && !ArrayBuffer.isView(frame)) {
        const own = Object.keys(frame).length
        expect(d.wants.length + d.haves.length + d.ignored).toBe(own)
        // Every valid entry is kept, with its value.
        for (const [k, v] of Object.entries(frame)) {
          if (isBlobId(k) && typeof v === 'number' && Number.isSafeInteger(v) && v !== 0) {
            expect([...d.wants, ...d.haves]).toContainEqual([k, v])
          }
        }
      } else {
        expect(d.invalid).toBe(true)
      }
    }),
    { numRuns: 1000 },
  )
})

test('decodeWantMap reads at most maxEntries entries of a frame', () => {
  const frame = Object.fromEntries(realIds.map((id, i) => [id, -(i + 1)]))
  const d = decodeWantMap(frame, 3)
  expect(d.wants.length).toBe(3)
  expect(d.ignored).toBe(realIds.length - 3)
})

let b: Node
beforeAll(async () => {
  b = await makeNode('prop')
})
afterAll(async () => {
  await b.close()
})

test('an engine fed random frames never throws and its want map stays valid and bounded', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(frameArb, { maxLength: 6 }), async (items) => {
      const peer = b.sync.addPeer('fuzz', { get: async function* () {} })
      const input = openFrames(...items)
      const receiving = peer.receiveWants(input.stream)
      await input.processed
      for (const [id, n] of Object.entries(b.sync.wants())) {
        expect(isBlobId(id)).toBe(true)
        expect(n === -2 || n === -3).toBe(true) // forwarded from this peer: n − 1 within sympathy
      }
      input.end()
      await receiving
      peer.remove()
      expect(b.sync.wants()).toEqual({})
    }),
    { numRuns: 200 },
  )
})

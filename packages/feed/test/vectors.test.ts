import { generateKeys } from '@ssb/keys'
import { describe, expect, test } from 'vitest'
import { createMessage, messageId, serializeMessage, validateMessage } from '../src/index.js'
import { type MessageVectors, readVectors } from './helpers.js'

const vectors = readVectors<MessageVectors>('messages.json')
const keys = generateKeys(Buffer.from(vectors.authorSeedHex, 'hex'))

describe.each(vectors.messages)('protocol.md §2.6 vector $id', (v) => {
  test('createMessage reproduces the value, bytes and id', () => {
    const created = createMessage(keys, v.state, v.content, v.timestamp)
    expect(created.key).toBe(v.id)
    expect(serializeMessage(created.value)).toBe(JSON.stringify(v.value, null, 2))
    expect(Object.keys(created.value)).toEqual(['previous', 'sequence', 'author', 'timestamp', 'hash', 'content', 'signature'])
  })

  test('validateMessage accepts it with the id, and never the UTF-8 id', () => {
    const r = validateMessage(v.state, v.value)
    expect(r.key).toBe(v.id)
    expect(r.state).toEqual({ id: v.id, sequence: v.value.sequence, timestamp: v.value.timestamp })
    expect(messageId(v.value)).toBe(v.id)
    expect(messageId(JSON.stringify(v.value, null, 2))).toBe(v.id)
    if (v.wrongUtf8Id) expect(r.key).not.toBe(v.wrongUtf8Id)
  })
})

test('the two vector messages chain', () => {
  const [m1, m2] = vectors.messages
  const s1 = validateMessage(null, m1!.value).state
  expect(validateMessage(s1, m2!.value).key).toBe(m2!.id)
})

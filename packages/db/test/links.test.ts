import { describe, expect, test } from 'vitest'
import { extractLinks } from '../src/index.js'

const msg = '%' + Buffer.alloc(32, 1).toString('base64') + '.sha256'
const feed = '@' + Buffer.alloc(32, 2).toString('base64') + '.ed25519'
const legacyFeed = '@' + Buffer.alloc(32, 3).toString('base64') + '.sha256'
const blob = '&' + Buffer.alloc(32, 4).toString('base64') + '.sha256'

describe('extractLinks (ssb-msgs indexLinks, as ssb-db 20 indexes them)', () => {
  test('top-level strings, {link} objects and arrays; rel is the key', () => {
    expect(
      extractLinks({
        type: 'post',
        root: msg,
        mentions: [feed, { link: blob, name: 'x' }, 'nope', null, 5],
        vote: { link: msg, value: 1 },
        text: 'see ' + msg,
      }),
    ).toEqual([
      ['root', msg],
      ['mentions', feed],
      ['mentions', blob],
      ['vote', msg],
    ])
  })

  test('nested objects are not searched; array-like objects are', () => {
    expect(extractLinks({ type: 'x', deep: { inner: { link: msg } }, arr: { 0: msg, 1: { link: feed } } })).toEqual([
      ['arr', msg],
      ['arr', feed],
    ])
  })

  test('links may carry a query; legacy .sha256 feed ids count; non-canonical base64 does not', () => {
    const nonCanonical = '%' + Buffer.alloc(32, 1).toString('base64').slice(0, 42) + 'B=.sha256'
    expect(extractLinks({ type: 'x', a: msg + '?unbox=abc', b: legacyFeed, c: nonCanonical })).toEqual([
      ['a', msg + '?unbox=abc'],
      ['b', legacyFeed],
    ])
  })

  test('a content wrapping a message indexes the inner content (ssb-msgs toMsgContent)', () => {
    expect(extractLinks({ type: 'x', value: { content: { type: 'post', root: msg } }, other: feed })).toEqual([['root', msg]])
    expect(extractLinks({ type: 'x', content: { type: 'post', branch: msg } })).toEqual([['branch', msg]])
  })
})

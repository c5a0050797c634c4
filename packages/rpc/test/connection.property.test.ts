import fc from 'fast-check'
import { afterEach, beforeEach, expect, test, vi } from 'vitest'
import { createRpc, RpcError, type Api } from '../src/index.js'
import { duplexPair } from './helpers.js'
import { frameBytes, RawPeer } from './raw-peer.js'

const manifest = { whoami: 'sync', src: 'source', snk: 'sink', dup: 'duplex', ns: { a: 'async' } } as const
const api: Api = {
  whoami: (_a, c) => ({ id: c.remoteId }),
  src: async function* () {
    yield 1
    yield 2
  },
  snk: async (_a, _c, input) => {
    for await (const _ of input) void _
  },
  dup: (_a, _c, input) => input,
  ns: { a: () => 'a' },
}

const names = fc.constantFrom<unknown>(['whoami'], 'whoami', ['src'], ['snk'], ['dup'], ['ns', 'a'], ['ns'], ['nope'], ['__proto__'], ['constructor'], 'emit', 7, null, [1], [])
const types = fc.constantFrom<unknown>('source', 'sink', 'duplex', 'async', 'sync', undefined, 3)
const requestBody = fc.record({ name: names, args: fc.oneof(fc.constant([]), fc.array(fc.jsonValue(), { maxLength: 2 }), fc.jsonValue()), type: types })
const body = fc.oneof(
  requestBody.map((b) => JSON.stringify(b)),
  fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
  fc.constantFrom('true', 'false', 'null', '{}', '[]', '"x"'),
)
const frame = fc
  .record({ flags: fc.integer({ min: 0, max: 15 }), req: fc.integer({ min: -4, max: 4 }), body })
  .map(({ flags, req, body }) => frameBytes(flags === 3 || flags === 7 || flags === 11 || flags === 15 ? 2 : flags, req, body))

let errors: unknown[] = []
beforeEach(() => {
  errors = []
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a))
  vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void errors.push(a))
})
afterEach(() => {
  vi.restoreAllMocks()
})

test('any sequence of frames: the connection answers or closes with an RpcError; muxrpc never throws or logs', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(frame, { maxLength: 12 }), async (frames) => {
      errors = []
      const [ours, theirs] = duplexPair()
      const conn = createRpc({ stream: ours, api }, { manifest, context: { remoteId: '@fuzz' } })
      const peer = new RawPeer(theirs)
      // Our own calls 1..4 are open, so the fuzzed replies (negative req) have something to hit.
      const idle = new Promise<void>((r) => setTimeout(r, 50))
      async function* input() {
        yield 'x'
        await idle
      }
      const ours1 = conn.call('whoami').catch(() => {})
      const ours2 = (async () => {
        for await (const _ of conn.source('src')) void _
      })().catch(() => {})
      const ours3 = (async () => {
        for await (const _ of conn.duplex('dup', [], input())) void _
      })().catch(() => {})
      const ours4 = conn.sink('snk', [], input()).catch(() => {})
      peer.send(...frames, frameBytes(0x02, 1000, JSON.stringify({ name: ['whoami'], args: [] })))
      for (;;) {
        const f = await peer.next()
        if (f === null) {
          const err = await conn.whenClosed()
          expect(err === undefined || err instanceof RpcError).toBe(true)
          break
        }
        if (f.req === -1000) {
          expect(f.text).toBe('{"id":"@fuzz"}')
          break
        }
        if (f.length === 0) break // a fuzzed goodbye: our goodbye answers it
      }
      await conn.close(new Error('done'))
      await Promise.all([ours1, ours2, ours3, ours4])
      await new Promise((r) => setImmediate(r))
      expect(errors.map((e) => String((e as unknown[])[0]))).toEqual([])
    }),
    { numRuns: 200 },
  )
})

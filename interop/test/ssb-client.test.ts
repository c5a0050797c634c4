// The real ssb-client 4.9 (muxrpc 6, secret-handshake, pull-streams) against OUR server, in the
// way apps use it: the server's own key from `{path}/secret` and the manifest from
// `{path}/manifest.json` (or no manifest: ssb-client then calls `manifest` first). What comes
// back is checked with the JavaScript ssb-keys and ssb-validate.
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { call, closeClient, collect, connectClient, source, type SsbClient } from '../src/client.js'
import { startOurServer, type OurServer } from '../src/our-server.js'
import type { SsbKeysJSON } from '../src/reference.js'

interface MsgValue {
  previous: string | null
  author: string
  sequence: number
  timestamp: number
  hash: string
  content: { type: string; text?: string; n?: number }
  signature: string
}
interface Msg {
  key: string
  value: MsgValue
  timestamp: number
}
interface ValidateState {
  queue: Array<{ key: string; value: MsgValue }>
  feeds: Record<string, { id: string; sequence: number }>
}
interface SsbValidate {
  initial(): ValidateState
  append(state: ValidateState, hmacKey: string | null, msg: object): ValidateState
  id(msg: object): string
}
interface SsbKeys {
  generate(): SsbKeysJSON
  loadSync(path: string): SsbKeysJSON
  hash(data: string): string
}

const require = createRequire(import.meta.url)
const validate = require('ssb-validate') as SsbValidate
const ssbKeys = require('ssb-keys') as SsbKeys

const UNKNOWN_MSG = '%AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=.sha256'
// Non-ASCII text: the message id hashes latin1-truncated code units (protocol.md trap 1).
const TEXT_A = 'héllo wörld ✓ — 🦀 first'
const TEXT_B = 'second: ünïcödé ✓✓ 🐚'

let ours: OurServer
let published: Msg[] = [] // in sequence order
const clients: SsbClient[] = []

async function connect(opts: { keys?: SsbKeysJSON; manifest?: object | null } = {}): Promise<SsbClient> {
  const client = await connectClient({
    remote: ours.address,
    keys: opts.keys ?? ours.keys,
    ...(opts.manifest === null ? {} : { manifest: opts.manifest ?? ours.manifest }),
  })
  clients.push(client)
  return client
}

beforeAll(async () => {
  ours = await startOurServer()
})

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => closeClient(c)))
})

afterAll(async () => {
  await ours?.stop()
})

describe('ssb-client 4.9 → our server', () => {
  test('ssb-keys loads the secret the server created; whoami', async () => {
    expect(ssbKeys.loadSync(join(ours.dir, 'secret'))).toEqual(ours.keys)
    const client = await connect()
    expect(client.id).toBe(ours.id)
    expect(await call(client, 'whoami')).toEqual({ id: ours.id })
  })

  test('two concurrent publishes: JS ids, a chain ssb-validate accepts', async () => {
    const client = await connect()
    const [a, b] = await Promise.all([
      call<Msg>(client, 'publish', { type: 'post', text: TEXT_A }),
      call<Msg>(client, 'publish', { type: 'post', text: TEXT_B }),
    ])
    published = [a, b].sort((x, y) => x.value.sequence - y.value.sequence)
    expect(published.map((m) => m.value.sequence)).toEqual([1, 2])
    expect(published.map((m) => m.value.content.text).sort()).toEqual([TEXT_A, TEXT_B].sort())

    let state = validate.initial()
    for (const msg of published) {
      expect(msg.value.author).toBe(ours.id)
      expect(validate.id(msg.value)).toBe(msg.key)
      expect('%' + ssbKeys.hash(JSON.stringify(msg.value, null, 2))).toBe(msg.key)
      state = validate.append(state, null, msg.value) // throws on a bad signature, previous or sequence
    }
    expect(state.queue.map((kvt) => kvt.key)).toEqual(published.map((m) => m.key))
    expect(state.feeds[ours.id]?.sequence).toBe(2)
    expect(published[1]!.value.previous).toBe(published[0]!.key)
  })

  test('createHistoryStream with seq, limit, keys:false', async () => {
    const client = await connect()
    const all = await collect(source<Msg>(client, 'createHistoryStream', { id: ours.id }))
    expect(all).toEqual(published.map((m) => ({ key: m.key, value: m.value, timestamp: expect.any(Number) })))
    const values = await collect(source<MsgValue>(client, 'createHistoryStream', { id: ours.id, keys: false }))
    expect(values).toEqual(published.map((m) => m.value))
    const fromTwo = await collect(source<MsgValue>(client, 'createHistoryStream', { id: ours.id, seq: 2, keys: false }))
    expect(fromTwo).toEqual([published[1]!.value])
    const firstOnly = await collect(source<Msg>(client, 'createHistoryStream', { id: ours.id, seq: 1, limit: 1 }))
    expect(firstOnly.map((m) => m.key)).toEqual([published[0]!.key])
    const other = await collect(source(client, 'createHistoryStream', { id: ssbKeys.generate().id }))
    expect(other).toEqual([])
  })

  test('get returns the value; an unknown key is an error', async () => {
    const client = await connect()
    expect(await call(client, 'get', published[0]!.key)).toEqual(published[0]!.value)
    expect(await call(client, 'get', { id: published[1]!.key, meta: true })).toMatchObject({
      key: published[1]!.key,
      value: published[1]!.value,
    })
    await expect(call(client, 'get', UNKNOWN_MSG)).rejects.toThrow()
  })

  test('createFeedStream, createLogStream, messagesByType', async () => {
    const client = await connect()
    const keys = published.map((m) => m.key)
    const feed = await collect(source<Msg>(client, 'createFeedStream'))
    expect(feed.map((m) => m.key).sort()).toEqual([...keys].sort())
    const feedValues = await collect(source<MsgValue>(client, 'createFeedStream', { keys: false }))
    expect(feedValues.map((v) => v.signature).sort()).toEqual(published.map((m) => m.value.signature).sort())

    const log = await collect(source<Msg>(client, 'createLogStream'))
    expect(log.map((m) => m.key)).toEqual(keys) // receive order = publish order here
    const logKeys = await collect(source<string>(client, 'createLogStream', { values: false, reverse: true }))
    expect(logKeys).toEqual([...keys].reverse())

    const byType = await collect(source<Msg>(client, 'messagesByType', 'post'))
    expect(byType.map((m) => m.key)).toEqual(keys)
    const byTypeObj = await collect(source<Msg>(client, 'messagesByType', { type: 'post', limit: 1 }))
    expect(byTypeObj.map((m) => m.key)).toEqual([keys[0]])
    expect(await collect(source(client, 'messagesByType', { type: 'nothing-of-this-type' }))).toEqual([])
  })

  test('a client with another key may replicate but is refused publish and whoami', async () => {
    const stranger = await connect({ keys: ssbKeys.generate() })
    const hist = await collect(source<MsgValue>(stranger, 'createHistoryStream', { id: ours.id, keys: false }))
    expect(hist).toEqual(published.map((m) => m.value))
    await expect(call(stranger, 'publish', { type: 'post', text: 'not mine' })).rejects.toThrow(/not in list of allowed methods/)
    await expect(call(stranger, 'whoami')).rejects.toThrow(/not in list of allowed methods/)
    await expect(call(stranger, 'get', published[0]!.key)).rejects.toThrow(/not in list of allowed methods/)
    // The refusals did not break the connection.
    const again = await collect(source<MsgValue>(stranger, 'createHistoryStream', { id: ours.id, seq: 2, keys: false }))
    expect(again).toEqual([published[1]!.value])
  })

  test('without a manifest ssb-client asks for it and gets a working API', async () => {
    const client = await connect({ manifest: null })
    expect(await call(client, 'whoami')).toEqual({ id: ours.id })
    expect(await call(client, 'manifest')).toEqual(ours.manifest)
    const msg = await call<Msg>(client, 'publish', { type: 'post', text: 'third' })
    expect(msg.value.sequence).toBe(3)
    expect(msg.value.previous).toBe(published[1]!.key)
    expect(validate.id(msg.value)).toBe(msg.key)
    const hist = await collect(source<Msg>(client, 'createHistoryStream', { id: ours.id, seq: 3 }))
    expect(hist.map((m) => m.key)).toEqual([msg.key])
  })
})

// OUR client side (@ssb/shs + @ssb/box-stream + @ssb/rpc, through @ssb/server's connectClient)
// against the REAL JavaScript ssb-server 16: handshake, async calls, sources (finite and live),
// error replies, and the permission refusal a stranger gets.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { connectClient, type SsbClient } from '@ssb/server'
import { generateKeys, keysFromJSON, type Keys } from '@ssb/keys'
import { startReference, type ReferencePeer } from '../src/reference.js'

interface MsgValue {
  previous: string | null
  author: string
  sequence: number
  content: { type: string; text?: string; n?: number }
  signature: string
}
interface Msg {
  key: string
  value: MsgValue
  timestamp: number
}
interface SsbValidate {
  initial(): object
  append(state: object, hmacKey: string | null, msg: object): object
  id(msg: object): string
}

const require = createRequire(import.meta.url)
const validate = require('ssb-validate') as SsbValidate

let ref: ReferencePeer
let refKeys: Keys
let manifest: Record<string, unknown>
const clients: SsbClient[] = []

async function connect(keys: Keys = refKeys, withManifest = true): Promise<SsbClient> {
  const client = await connectClient(
    { kind: 'net', host: '127.0.0.1', port: ref.port, key: ref.id },
    withManifest ? { keys, manifest: manifest as never } : { keys },
  )
  clients.push(client)
  return client
}

async function collect<T>(iter: AsyncIterable<unknown>): Promise<T[]> {
  const out: T[] = []
  for await (const x of iter) out.push(x as T)
  return out
}

beforeAll(async () => {
  ref = await startReference()
  refKeys = keysFromJSON(ref.keys)
  manifest = JSON.parse(readFileSync(join(ref.dir, 'manifest.json'), 'utf8')) as Record<string, unknown>
})

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()))
})

afterAll(async () => {
  await ref?.stop()
})

describe('our client → ssb-server 16', () => {
  test('whoami, with and without a local manifest', async () => {
    const client = await connect()
    expect(await client.rpc.call('whoami', [])).toEqual({ id: ref.id })
    const fetched = await connect(refKeys, false)
    expect(fetched.manifest).toEqual(manifest)
    expect(await fetched.rpc.call('whoami', [])).toEqual({ id: ref.id })
  })

  test('publish, then createHistoryStream with keys true and false', async () => {
    const client = await connect()
    const a = (await client.rpc.call('publish', [{ type: 'post', text: 'héllo from ours ✓' }])) as Msg
    const b = (await client.rpc.call('publish', [{ type: 'post', text: 'second' }])) as Msg
    expect(b.value.previous).toBe(a.key)
    expect(validate.id(a.value)).toBe(a.key)

    const kvts = await collect<Msg>(client.rpc.source('createHistoryStream', [{ id: ref.id }]))
    expect(kvts.map((m) => m.key)).toEqual([a.key, b.key])
    expect(kvts.map((m) => m.value)).toEqual([a.value, b.value])
    const values = await collect<MsgValue>(client.rpc.source('createHistoryStream', [{ id: ref.id, keys: false }]))
    expect(values).toEqual([a.value, b.value])
    let state = validate.initial()
    for (const v of values) state = validate.append(state, null, v)
    const fromTwo = await collect<MsgValue>(client.rpc.source('createHistoryStream', [{ id: ref.id, seq: 2, keys: false }]))
    expect(fromTwo).toEqual([b.value])
  })

  test('a live createHistoryStream delivers a message published later', async () => {
    const client = await connect()
    const latest = (await client.rpc.call('latestSequence', [ref.id]).catch(() => 0)) as number
    const seen: number[] = []
    let later: Msg | undefined
    const stream = client.rpc.source('createHistoryStream', [{ id: ref.id, seq: latest, live: true, keys: false }])
    for await (const item of stream) {
      const value = item as MsgValue
      seen.push(value.sequence)
      if (seen.length === 1) {
        later = (await client.rpc.call('publish', [{ type: 'post', text: 'live one' }])) as Msg
      } else {
        expect(value).toEqual(later!.value)
        break // ends our side of the stream; the server must end its side too
      }
    }
    expect(seen).toEqual([latest, latest + 1])
    // The connection is still usable after aborting a live stream.
    expect(await client.rpc.call('whoami', [])).toEqual({ id: ref.id })
  })

  test('an unknown method is an error reply, not a hang', async () => {
    const client = await connect()
    await expect(client.rpc.call('noSuchMethod', [])).rejects.toThrow(/no async:noSuchMethod|noSuchMethod/)
    await expect(collect(client.rpc.source('noSuchSource', []))).rejects.toThrow(/noSuchSource/)
    // (Not `get` of an unknown key here: ssb-server 16 takes ~5 s to answer "Key not found".)
    await expect(client.rpc.call('get', ['not a message id'])).rejects.toThrow()
    expect(await client.rpc.call('whoami', [])).toEqual({ id: ref.id })
  })

  test('a stranger key may call createHistoryStream but is refused publish', async () => {
    const stranger = await connect(generateKeys())
    await expect(stranger.rpc.call('publish', [{ type: 'post', text: 'nope' }])).rejects.toThrow(/not in list of allowed methods/)
    await expect(stranger.rpc.call('whoami', [])).rejects.toThrow(/not in list of allowed methods/)
    const hist = await collect<MsgValue>(stranger.rpc.source('createHistoryStream', [{ id: ref.id, keys: false, limit: 1 }]))
    expect(hist).toHaveLength(1)
    expect(hist[0]!.author).toBe(ref.id)
  })
})

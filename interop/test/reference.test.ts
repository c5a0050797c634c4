// Proves the harness: a real ssb-server 16 starts on its own ports, ssb-client connects as
// master, messages published there come back through createHistoryStream and pass ssb-validate,
// and stop() ends exactly that process and removes its dir.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { expect, test } from 'vitest'
import { call, closeClient, collect, iterate, source, type SsbClient } from '../src/client.js'
import { startReference } from '../src/reference.js'

interface Msg {
  key: string
  value: { author: string; sequence: number; previous: string | null; content: { type: string; n: number }; signature: string }
  timestamp: number
}
interface ValidateState {
  queue: Array<{ key: string }>
  feeds: Record<string, { id: string; sequence: number }>
}
interface SsbValidate {
  initial(): ValidateState
  append(state: ValidateState, hmacKey: string | null, msg: object): ValidateState
  id(msg: object): string
}

const require = createRequire(import.meta.url)
const validate = require('ssb-validate') as SsbValidate

// protocol.md §1.2 test key: seed = 32 × 0x01
const SEED = new Uint8Array(32).fill(1)
const SEED_PUBLIC = 'iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w='

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0) // signal 0: existence check of the PID we started
    return true
  } catch {
    return false
  }
}

test('reference ssb-server: whoami, publish, history, ssb-validate, stop', async () => {
  const ref = await startReference({ seed: SEED })
  let client: SsbClient | undefined
  try {
    expect(ref.id).toBe(`@${SEED_PUBLIC}.ed25519`)
    expect(ref.address).toBe(`net:127.0.0.1:${ref.port}~shs:${SEED_PUBLIC}`)
    expect(isAlive(ref.pid)).toBe(true)

    client = await ref.client()
    expect(await call(client, 'whoami')).toEqual({ id: ref.id })

    const first = await call<Msg>(client, 'publish', { type: 'test', n: 1 })
    const second = await call<Msg>(client, 'publish', { type: 'test', n: 2 })
    expect(second.value.previous).toBe(first.key)

    const history = await collect(source<Msg>(client, 'createHistoryStream', { id: ref.id }))
    expect(history.map((m) => m.key)).toEqual([first.key, second.key])
    expect(history.map((m) => m.value.content)).toEqual([{ type: 'test', n: 1 }, { type: 'test', n: 2 }])

    let state = validate.initial()
    for (const msg of history) {
      state = validate.append(state, null, msg.value)
      expect(validate.id(msg.value)).toBe(msg.key)
    }
    expect(state.queue.map((kvt) => kvt.key)).toEqual([first.key, second.key])
    const afterFirst = validate.append(validate.initial(), null, history[0]!.value)
    const tampered = { ...history[1]!.value, content: { type: 'test', n: 3 } }
    expect(() => validate.append(afterFirst, null, tampered)).toThrow(/signature/)

    // A live stream read as an AsyncIterable; leaving the loop aborts the source.
    const live: number[] = []
    for await (const msg of iterate(source<Msg>(client, 'createHistoryStream', { id: ref.id, sequence: 2, live: true }))) {
      live.push(msg.value.sequence)
      if (live.length === 1) {
        await call(client, 'publish', { type: 'test', n: 3 })
      } else break
    }
    expect(live).toEqual([2, 3])

    await closeClient(client)
    client = undefined
  } finally {
    if (client) await closeClient(client).catch(() => {})
    await ref.stop()
  }
  expect(isAlive(ref.pid)).toBe(false)
  expect(existsSync(ref.dir)).toBe(false)
})

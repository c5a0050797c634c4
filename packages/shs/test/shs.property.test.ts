import fc from 'fast-check'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createClientHandshake, createServerHandshake, shsServer, ShsError } from '../src/index.js'
import { collect, keysFromSeed, listen, randomCaps, readExactly, type Listener } from './helpers.js'

const caps = randomCaps()
const serverKeys = keysFromSeed()
const clientKeys = keysFromSeed()

test('random 64-byte msg1: the server core only throws ShsError and produces no msg2', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (msg1) => {
      const server = createServerHandshake({ keys: serverKeys, caps })
      expect(() => server.receiveMsg1(msg1)).toThrow(ShsError)
    }),
    { numRuns: 1000 },
  )
})

test('random msg3 after a valid msg1: ShsError only', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 112, maxLength: 112 }), async (msg3) => {
      const client = createClientHandshake({ keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps })
      const server = createServerHandshake({ keys: serverKeys, caps })
      server.receiveMsg1(client.createMsg1())
      await expect(server.receiveMsg3(msg3)).rejects.toBeInstanceOf(ShsError)
    }),
    { numRuns: 300 },
  )
})

test('random msg2: the client core only throws ShsError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (msg2) => {
      const client = createClientHandshake({ keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps })
      client.createMsg1()
      expect(() => client.receiveMsg2(msg2)).toThrow(ShsError)
    }),
    { numRuns: 500 },
  )
})

test('random msg4 after a valid msg2: the client core only throws ShsError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 80, maxLength: 80 }), (msg4) => {
      const client = createClientHandshake({ keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps })
      const server = createServerHandshake({ keys: serverKeys, caps })
      client.receiveMsg2(server.receiveMsg1(client.createMsg1()))
      expect(() => client.receiveMsg4(msg4)).toThrow(ShsError)
    }),
    { numRuns: 150 },
  )
})

let listener: Listener
beforeAll(async () => {
  listener = await listen()
})
afterAll(async () => {
  await listener.close()
})

test('random bytes from a TCP peer: shsServer rejects with ShsError, sends nothing, stays up', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.boolean(), async (bytes, end) => {
      const raw = listener.connect()
      const socket = await listener.accept()
      const result = shsServer(socket, { keys: serverKeys, caps, timeoutMs: 50 })
      const received = collect(raw)
      if (end) raw.end(bytes)
      else raw.write(bytes)
      const err = await result.then(() => null, (e: unknown) => e)
      expect(err).toBeInstanceOf(ShsError)
      expect(['SHS_WRONG_NETWORK', 'SHS_UNEXPECTED_END', 'SHS_TIMEOUT']).toContain((err as ShsError).code)
      expect(socket.destroyed).toBe(true)
      raw.destroy()
      expect((await received).length).toBe(0)
    }),
    { numRuns: 25 },
  )
})

test('a valid msg1 followed by random bytes: msg2 only, then ShsError', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 112, maxLength: 300 }), async (bytes) => {
      const raw = listener.connect()
      const socket = await listener.accept()
      const result = shsServer(socket, { keys: serverKeys, caps, timeoutMs: 1000 })
      const client = createClientHandshake({ keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps })
      raw.write(client.createMsg1())
      await readExactly(raw, 64)
      const rest = collect(raw)
      raw.write(bytes)
      const err = await result.then(() => null, (e: unknown) => e)
      expect(err).toBeInstanceOf(ShsError)
      expect((err as ShsError).code).toBe('SHS_BAD_MSG3')
      expect((await rest).length).toBe(0)
    }),
    { numRuns: 15 },
  )
})

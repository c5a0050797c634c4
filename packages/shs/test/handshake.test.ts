import sodium from 'sodium-native'
import { describe, expect, test } from 'vitest'
import {
  createClientHandshake,
  createServerHandshake,
  MAIN_NET_CAPS,
  ShsError,
  type ClientHandshakeOptions,
  type ServerHandshakeOptions,
} from '../src/index.js'
import { hex, keysFromSeed, randomCaps, toHex, vector } from './helpers.js'

const caps = hex(vector.networkKey)
const clientKeys = keysFromSeed(hex(vector.client.seed))
const serverKeys = keysFromSeed(hex(vector.server.seed))
const clientEphemeral = { publicKey: hex(vector.client.ephemeralPublicKey), secretKey: hex(vector.client.ephemeralSecretKey) }
const serverEphemeral = { publicKey: hex(vector.server.ephemeralPublicKey), secretKey: hex(vector.server.ephemeralSecretKey) }

function vectorClient(over: Partial<ClientHandshakeOptions> = {}) {
  return createClientHandshake({ keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps, ephemeral: clientEphemeral, ...over })
}
function vectorServer(over: Partial<ServerHandshakeOptions> = {}) {
  return createServerHandshake({ keys: serverKeys, caps, ephemeral: serverEphemeral, ...over })
}

async function expectShsError(promise: Promise<unknown> | (() => unknown), code: string): Promise<ShsError> {
  let caught: unknown
  try {
    await (typeof promise === 'function' ? promise() : promise)
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(ShsError)
  expect((caught as ShsError).name).toBe('ShsError')
  expect((caught as ShsError).code).toBe(code)
  return caught as ShsError
}

describe('protocol.md §4.1 vector (interop/vectors/shs.json)', () => {
  test('long-term keys and MAIN_NET_CAPS match the vector', () => {
    expect(toHex(clientKeys.publicKey)).toBe(vector.client.publicKey)
    expect(toHex(serverKeys.publicKey)).toBe(vector.server.publicKey)
    expect(toHex(MAIN_NET_CAPS)).toBe(vector.networkKey)
  })

  test('msg1..msg4 and both sessions are byte-exact', async () => {
    const client = vectorClient()
    const server = vectorServer()
    const msg1 = client.createMsg1()
    expect(toHex(msg1)).toBe(vector.msg1)
    const msg2 = server.receiveMsg1(msg1)
    expect(toHex(msg2)).toBe(vector.msg2)
    const msg3 = client.receiveMsg2(msg2)
    expect(toHex(msg3)).toBe(vector.msg3)
    const { msg4, result: serverSession } = await server.receiveMsg3(msg3)
    expect(toHex(msg4)).toBe(vector.msg4)
    const clientSession = client.receiveMsg4(msg4)

    expect(toHex(clientSession.remotePublicKey)).toBe(vector.server.publicKey)
    expect(toHex(clientSession.encryptKey)).toBe(vector.clientToServer.key)
    expect(toHex(clientSession.encryptNonce)).toBe(vector.clientToServer.nonce)
    expect(toHex(clientSession.decryptKey)).toBe(vector.serverToClient.key)
    expect(toHex(clientSession.decryptNonce)).toBe(vector.serverToClient.nonce)

    expect(toHex(serverSession.remotePublicKey)).toBe(vector.client.publicKey)
    expect(toHex(serverSession.encryptKey)).toBe(vector.serverToClient.key)
    expect(toHex(serverSession.encryptNonce)).toBe(vector.serverToClient.nonce)
    expect(toHex(serverSession.decryptKey)).toBe(vector.clientToServer.key)
    expect(toHex(serverSession.decryptNonce)).toBe(vector.clientToServer.nonce)
  })

  test('the shared secret ab matches', () => {
    const ab = Buffer.alloc(32)
    sodium.crypto_scalarmult(ab, Buffer.from(clientEphemeral.secretKey), Buffer.from(serverEphemeral.publicKey))
    expect(ab.toString('hex')).toBe(vector.sharedSecretAb)
  })

  test('random ephemerals: both sides agree and keys mirror each other', async () => {
    const k = randomCaps()
    const client = createClientHandshake({ keys: clientKeys, serverPublicKey: serverKeys.publicKey, caps: k })
    const server = createServerHandshake({ keys: serverKeys, caps: k })
    const msg3 = client.receiveMsg2(server.receiveMsg1(client.createMsg1()))
    const { msg4, result: s } = await server.receiveMsg3(msg3)
    const c = client.receiveMsg4(msg4)
    expect(c.encryptKey).toEqual(s.decryptKey)
    expect(c.encryptNonce).toEqual(s.decryptNonce)
    expect(c.decryptKey).toEqual(s.encryptKey)
    expect(c.decryptNonce).toEqual(s.encryptNonce)
    expect(c.encryptKey).not.toEqual(c.decryptKey)
  })
})

describe('verification failures', () => {
  test('msg1 from another network is SHS_WRONG_NETWORK', async () => {
    const client = vectorClient({ caps: randomCaps() })
    await expectShsError(() => vectorServer().receiveMsg1(client.createMsg1()), 'SHS_WRONG_NETWORK')
  })

  test('msg2 from another network is SHS_WRONG_NETWORK', async () => {
    const client = vectorClient()
    client.createMsg1()
    const eph = Buffer.from(serverEphemeral.publicKey)
    const mac = Buffer.alloc(32)
    sodium.crypto_auth(mac, eph, Buffer.from(randomCaps()))
    await expectShsError(() => client.receiveMsg2(new Uint8Array(Buffer.concat([mac, eph]))), 'SHS_WRONG_NETWORK')
  })

  test('msg3 for another server key is SHS_BAD_MSG3', async () => {
    const other = keysFromSeed()
    const client = vectorClient({ serverPublicKey: other.publicKey })
    const server = vectorServer()
    const msg3 = client.receiveMsg2(server.receiveMsg1(client.createMsg1()))
    await expectShsError(server.receiveMsg3(msg3), 'SHS_BAD_MSG3')
  })

  test('a tampered msg3 is SHS_BAD_MSG3', async () => {
    const server = vectorServer()
    server.receiveMsg1(hex(vector.msg1))
    const msg3 = hex(vector.msg3)
    msg3[40]! ^= 1
    await expectShsError(server.receiveMsg3(msg3), 'SHS_BAD_MSG3')
  })

  test('msg3 that opens but carries a bad sigA is SHS_BAD_SIGNATURE', async () => {
    const server = vectorServer()
    server.receiveMsg1(hex(vector.msg1))
    // Re-box msg3 with key2 (derived here from the vector) after corrupting sigA.
    const key2 = Buffer.alloc(32)
    const aB = Buffer.alloc(32)
    const serverCurve = Buffer.alloc(32)
    sodium.crypto_sign_ed25519_pk_to_curve25519(serverCurve, Buffer.from(serverKeys.publicKey))
    sodium.crypto_scalarmult(aB, Buffer.from(clientEphemeral.secretKey), serverCurve)
    sodium.crypto_hash_sha256(key2, Buffer.concat([Buffer.from(caps), Buffer.from(hex(vector.sharedSecretAb)), aB]))
    const plain = Buffer.alloc(96)
    sodium.crypto_secretbox_open_easy(plain, Buffer.from(hex(vector.msg3)), Buffer.alloc(24), key2)
    plain[3]! ^= 1
    const msg3 = Buffer.alloc(112)
    sodium.crypto_secretbox_easy(msg3, plain, Buffer.alloc(24), key2)
    await expectShsError(server.receiveMsg3(new Uint8Array(msg3)), 'SHS_BAD_SIGNATURE')
  })

  test('a tampered msg4 is SHS_BAD_MSG4', async () => {
    const client = vectorClient()
    client.createMsg1()
    client.receiveMsg2(hex(vector.msg2))
    const msg4 = hex(vector.msg4)
    msg4[79]! ^= 0x10
    await expectShsError(() => client.receiveMsg4(msg4), 'SHS_BAD_MSG4')
  })

  test('msg4 that opens but carries a bad sigB is SHS_BAD_SIGNATURE', async () => {
    const client = vectorClient()
    client.createMsg1()
    client.receiveMsg2(hex(vector.msg2))
    // Re-box msg4 with key3 (derived here from the vector) after corrupting sigB.
    const curve = (pk: Uint8Array): Buffer => {
      const out = Buffer.alloc(32)
      sodium.crypto_sign_ed25519_pk_to_curve25519(out, Buffer.from(pk))
      return out
    }
    const clientCurveSk = Buffer.alloc(32)
    sodium.crypto_sign_ed25519_sk_to_curve25519(clientCurveSk, Buffer.from(clientKeys.secretKey))
    const aB = Buffer.alloc(32)
    sodium.crypto_scalarmult(aB, Buffer.from(clientEphemeral.secretKey), curve(serverKeys.publicKey))
    const Ab = Buffer.alloc(32)
    sodium.crypto_scalarmult(Ab, clientCurveSk, Buffer.from(serverEphemeral.publicKey))
    const key3 = Buffer.alloc(32)
    sodium.crypto_hash_sha256(key3, Buffer.concat([Buffer.from(caps), Buffer.from(hex(vector.sharedSecretAb)), aB, Ab]))
    const sigB = Buffer.alloc(64)
    expect(sodium.crypto_secretbox_open_easy(sigB, Buffer.from(hex(vector.msg4)), Buffer.alloc(24), key3)).toBe(true)
    sigB[10]! ^= 1
    const msg4 = Buffer.alloc(80)
    sodium.crypto_secretbox_easy(msg4, sigB, Buffer.alloc(24), key3)
    await expectShsError(() => client.receiveMsg4(new Uint8Array(msg4)), 'SHS_BAD_SIGNATURE')
  })

  test('a server with another long-term key cannot open msg3 (SHS_BAD_MSG3)', async () => {
    const impostor = keysFromSeed()
    const client = vectorClient()
    const server = vectorServer({ keys: impostor })
    const msg3 = client.receiveMsg2(server.receiveMsg1(client.createMsg1()))
    await expectShsError(server.receiveMsg3(msg3), 'SHS_BAD_MSG3')
  })

  test('authorize returning false, throwing or rejecting is SHS_UNAUTHORIZED', async () => {
    for (const authorize of [() => false, () => { throw new Error('no') }, async () => Promise.reject(new Error('no'))]) {
      const client = vectorClient()
      const server = vectorServer({ authorize })
      const msg3 = client.receiveMsg2(server.receiveMsg1(client.createMsg1()))
      await expectShsError(server.receiveMsg3(msg3), 'SHS_UNAUTHORIZED')
    }
  })

  test('authorize sees the client public key', async () => {
    const seen: string[] = []
    const server = vectorServer({ authorize: async (pk) => (seen.push(toHex(pk)), true) })
    server.receiveMsg1(hex(vector.msg1))
    const { msg4 } = await server.receiveMsg3(hex(vector.msg3))
    expect(toHex(msg4)).toBe(vector.msg4)
    expect(seen).toEqual([vector.client.publicKey])
  })

  test('a low-order ephemeral key with a valid HMAC is SHS_BAD_KEY, before msg2', async () => {
    const zero = Buffer.alloc(32)
    const mac = Buffer.alloc(32)
    sodium.crypto_auth(mac, zero, Buffer.from(caps))
    await expectShsError(() => vectorServer().receiveMsg1(new Uint8Array(Buffer.concat([mac, zero]))), 'SHS_BAD_KEY')
  })
})

describe('arguments and state', () => {
  test('wrong lengths are SHS_INVALID_ARGUMENT', async () => {
    await expectShsError(() => vectorClient({ caps: new Uint8Array(31) }), 'SHS_INVALID_ARGUMENT')
    await expectShsError(() => vectorClient({ serverPublicKey: new Uint8Array(33) }), 'SHS_INVALID_ARGUMENT')
    await expectShsError(() => vectorServer({ keys: { publicKey: serverKeys.publicKey, secretKey: new Uint8Array(32) } }), 'SHS_INVALID_ARGUMENT')
    await expectShsError(() => vectorServer().receiveMsg1(new Uint8Array(63)), 'SHS_INVALID_ARGUMENT')
  })

  test('an invalid server public key is SHS_INVALID_ARGUMENT', async () => {
    await expectShsError(() => vectorClient({ serverPublicKey: new Uint8Array(32).fill(0xff) }), 'SHS_INVALID_ARGUMENT')
  })

  test('steps out of order, or after a failure, are SHS_INVALID_STATE', async () => {
    const client = vectorClient()
    await expectShsError(() => client.receiveMsg2(hex(vector.msg2)), 'SHS_INVALID_STATE')
    client.createMsg1()
    await expectShsError(() => client.createMsg1(), 'SHS_INVALID_STATE')
    const server = vectorServer()
    await expectShsError(server.receiveMsg3(hex(vector.msg3)), 'SHS_INVALID_STATE')
    await expectShsError(() => server.receiveMsg1(new Uint8Array(64)), 'SHS_WRONG_NETWORK')
    await expectShsError(() => server.receiveMsg1(hex(vector.msg1)), 'SHS_INVALID_STATE')
  })

  test('the caller ephemeral key is copied, not wiped', () => {
    const eph = { publicKey: clientEphemeral.publicKey.slice(), secretKey: clientEphemeral.secretKey.slice() }
    const client = vectorClient({ ephemeral: eph })
    client.createMsg1()
    client.receiveMsg2(hex(vector.msg2))
    client.destroy()
    expect(eph.secretKey).toEqual(clientEphemeral.secretKey)
  })
})

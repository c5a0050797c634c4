import {
  asBuffer,
  boxZeroNonce,
  checkBytes,
  ed25519PublicToCurve,
  ed25519SecretToCurve,
  ephemeralKeyPair,
  hmac,
  openZeroNonce,
  scalarmult,
  sha256,
  sign,
  verify,
  verifyHmac,
  wipe,
} from './crypto.js'
import { CAPS_BYTES, MSG1_BYTES, MSG3_BYTES, PUBLIC_KEY_BYTES, SECRET_KEY_BYTES } from './constants.js'
import { ShsError } from './errors.js'
import { deriveSession } from './session.js'
import type { ServerHandshakeOptions, ShsResult } from './types.js'

/** The server (accepting) side of SHS v1 as a state machine on bytes; no I/O. */
export interface ServerHandshake {
  /** Verifies msg1 (64 bytes) and returns msg2 (64 bytes). Send nothing if this throws. */
  receiveMsg1(msg1: Uint8Array): Uint8Array
  /**
   * Verifies msg3 (112 bytes), runs authorize(clientPublicKey), then returns msg4 (80 bytes)
   * and the session. Send nothing if this rejects.
   */
  receiveMsg3(msg3: Uint8Array): Promise<{ msg4: Uint8Array; result: ShsResult }>
  /** Wipes every secret held; later calls throw SHS_INVALID_STATE. Idempotent. */
  destroy(): void
}

type ServerState = 'msg1' | 'msg3' | 'authorize' | 'done'

export function createServerHandshake(opts: ServerHandshakeOptions): ServerHandshake {
  checkBytes(opts.keys?.publicKey, PUBLIC_KEY_BYTES, 'keys.publicKey')
  checkBytes(opts.keys.secretKey, SECRET_KEY_BYTES, 'keys.secretKey')
  checkBytes(opts.caps, CAPS_BYTES, 'caps')
  const caps = Buffer.from(opts.caps)
  const localPk = Buffer.from(opts.keys.publicKey)
  const eph = ephemeralKeyPair(opts.ephemeral)
  const localChallenge = hmac(caps, eph.publicKey)
  let state: ServerState = 'msg1'
  let remoteChallenge: Buffer | undefined
  let clientEphPk: Buffer | undefined
  let abHash: Buffer | undefined
  let key2: Buffer | undefined
  let key3: Buffer | undefined
  let ab: Buffer | undefined
  let aB: Buffer | undefined

  const expect = (wanted: ServerState, step: string): void => {
    if (state !== wanted) throw new ShsError('SHS_INVALID_STATE', `${step} called in state ${state}`)
  }

  const destroy = (): void => {
    state = 'done'
    wipe(eph.secretKey, ab, aB, abHash, key2, key3)
  }

  return {
    receiveMsg1(msg1) {
      expect('msg1', 'receiveMsg1')
      try {
        checkBytes(msg1, MSG1_BYTES, 'msg1')
        const msg = Buffer.from(msg1)
        const mac = msg.subarray(0, 32)
        clientEphPk = msg.subarray(32, 64)
        if (!verifyHmac(mac, clientEphPk, caps)) {
          throw new ShsError('SHS_WRONG_NETWORK', 'msg1 HMAC does not verify: the client uses another network key')
        }
        remoteChallenge = mac
        ab = scalarmult(eph.secretKey, clientEphPk, 'SHS_BAD_KEY', 'client ephemeral key')
        const localCurveSk = ed25519SecretToCurve(asBuffer(opts.keys.secretKey))
        aB = scalarmult(localCurveSk, clientEphPk, 'SHS_BAD_KEY', 'client ephemeral key')
        wipe(localCurveSk)
        abHash = sha256(ab)
        key2 = sha256(caps, ab, aB)
        state = 'msg3'
        return new Uint8Array(Buffer.concat([localChallenge, eph.publicKey]))
      } catch (err) {
        destroy()
        throw err
      }
    },

    async receiveMsg3(msg3) {
      expect('msg3', 'receiveMsg3')
      try {
        checkBytes(msg3, MSG3_BYTES, 'msg3')
        const plain = openZeroNonce(Buffer.from(msg3), key2!)
        if (!plain) {
          throw new ShsError('SHS_BAD_MSG3', 'msg3 does not open: the client dialed another server key')
        }
        const sigA = plain.subarray(0, 64)
        const clientPk = plain.subarray(64, 96)
        if (!verify(sigA, Buffer.concat([caps, localPk, abHash!]), clientPk)) {
          throw new ShsError('SHS_BAD_SIGNATURE', 'msg3 signature (sigA) does not verify')
        }
        const clientCurvePk = ed25519PublicToCurve(clientPk, 'SHS_BAD_KEY', 'client long-term key')
        const Ab = scalarmult(eph.secretKey, clientCurvePk, 'SHS_BAD_KEY', 'client long-term key')
        key3 = sha256(caps, ab!, aB!, Ab)
        wipe(eph.secretKey, ab, aB, key2, Ab)
        state = 'authorize'
        await runAuthorize(opts.authorize, clientPk)
        if (state !== 'authorize') throw new ShsError('SHS_INVALID_STATE', 'handshake destroyed during authorize')
        const sigB = sign(asBuffer(opts.keys.secretKey), Buffer.concat([caps, sigA, clientPk, abHash!]))
        const msg4 = boxZeroNonce(sigB, key3)
        const result = deriveSession(key3, localPk, clientPk, localChallenge, remoteChallenge!)
        destroy()
        return { msg4: new Uint8Array(msg4), result }
      } catch (err) {
        destroy()
        throw err
      }
    },

    destroy,
  }
}

async function runAuthorize(authorize: ServerHandshakeOptions['authorize'], clientPk: Buffer): Promise<void> {
  if (!authorize) return
  let allowed: boolean
  try {
    allowed = await authorize(new Uint8Array(clientPk))
  } catch (cause) {
    throw new ShsError('SHS_UNAUTHORIZED', 'authorize() failed for this client', { cause })
  }
  if (allowed !== true) throw new ShsError('SHS_UNAUTHORIZED', 'authorize() rejected this client')
}

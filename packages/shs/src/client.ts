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
import { CAPS_BYTES, MSG2_BYTES, MSG4_BYTES, PUBLIC_KEY_BYTES, SECRET_KEY_BYTES } from './constants.js'
import { ShsError } from './errors.js'
import { deriveSession } from './session.js'
import type { ClientHandshakeOptions, ShsResult } from './types.js'

/** The client (dialing) side of SHS v1 as a state machine on bytes; no I/O. */
export interface ClientHandshake {
  /** msg1: hmac(K, ce_pk) || ce_pk (64 bytes). */
  createMsg1(): Uint8Array
  /** Verifies msg2 (64 bytes) and returns msg3 (112 bytes). */
  receiveMsg2(msg2: Uint8Array): Uint8Array
  /** Verifies msg4 (80 bytes) and returns the session. */
  receiveMsg4(msg4: Uint8Array): ShsResult
  /** Wipes every secret held; later calls throw SHS_INVALID_STATE. Idempotent. */
  destroy(): void
}

type ClientState = 'msg1' | 'msg2' | 'msg4' | 'done'

export function createClientHandshake(opts: ClientHandshakeOptions): ClientHandshake {
  checkBytes(opts.keys?.publicKey, PUBLIC_KEY_BYTES, 'keys.publicKey')
  checkBytes(opts.keys.secretKey, SECRET_KEY_BYTES, 'keys.secretKey')
  checkBytes(opts.serverPublicKey, PUBLIC_KEY_BYTES, 'serverPublicKey')
  checkBytes(opts.caps, CAPS_BYTES, 'caps')
  const caps = Buffer.from(opts.caps)
  const localPk = Buffer.from(opts.keys.publicKey)
  const serverPk = Buffer.from(opts.serverPublicKey)
  const serverCurvePk = ed25519PublicToCurve(serverPk, 'SHS_INVALID_ARGUMENT', 'serverPublicKey')
  const eph = ephemeralKeyPair(opts.ephemeral)
  const localChallenge = hmac(caps, eph.publicKey)
  let state: ClientState = 'msg1'
  let remoteChallenge: Buffer | undefined
  let abHash: Buffer | undefined
  let sigA: Buffer | undefined
  let key3: Buffer | undefined

  const expect = (wanted: ClientState, step: string): void => {
    if (state !== wanted) throw new ShsError('SHS_INVALID_STATE', `${step} called in state ${state}`)
  }

  const destroy = (): void => {
    state = 'done'
    wipe(eph.secretKey, abHash, key3)
  }

  const guarded = <T>(fn: () => T): T => {
    try {
      return fn()
    } catch (err) {
      destroy()
      throw err
    }
  }

  return {
    createMsg1() {
      expect('msg1', 'createMsg1')
      state = 'msg2'
      return new Uint8Array(Buffer.concat([localChallenge, eph.publicKey]))
    },

    receiveMsg2(msg2) {
      expect('msg2', 'receiveMsg2')
      return guarded(() => {
        checkBytes(msg2, MSG2_BYTES, 'msg2')
        const msg = Buffer.from(msg2)
        const mac = msg.subarray(0, 32)
        const serverEphPk = msg.subarray(32, 64)
        if (!verifyHmac(mac, serverEphPk, caps)) {
          throw new ShsError('SHS_WRONG_NETWORK', 'msg2 HMAC does not verify: the server uses another network key')
        }
        remoteChallenge = mac
        const ab = scalarmult(eph.secretKey, serverEphPk, 'SHS_BAD_KEY', 'server ephemeral key')
        const aB = scalarmult(eph.secretKey, serverCurvePk, 'SHS_INVALID_ARGUMENT', 'serverPublicKey')
        const localCurveSk = ed25519SecretToCurve(asBuffer(opts.keys.secretKey))
        const Ab = scalarmult(localCurveSk, serverEphPk, 'SHS_BAD_KEY', 'server ephemeral key')
        wipe(eph.secretKey, localCurveSk)
        abHash = sha256(ab)
        const key2 = sha256(caps, ab, aB)
        key3 = sha256(caps, ab, aB, Ab)
        wipe(ab, aB, Ab)
        const signedA = Buffer.concat([caps, serverPk, abHash])
        sigA = sign(asBuffer(opts.keys.secretKey), signedA)
        const msg3 = boxZeroNonce(Buffer.concat([sigA, localPk]), key2)
        wipe(key2)
        state = 'msg4'
        return new Uint8Array(msg3)
      })
    },

    receiveMsg4(msg4) {
      expect('msg4', 'receiveMsg4')
      return guarded(() => {
        checkBytes(msg4, MSG4_BYTES, 'msg4')
        const sigB = openZeroNonce(Buffer.from(msg4), key3!)
        if (!sigB) throw new ShsError('SHS_BAD_MSG4', 'msg4 does not open: the server does not hold the expected key')
        const signedB = Buffer.concat([caps, sigA!, localPk, abHash!])
        if (!verify(sigB, signedB, serverPk)) {
          throw new ShsError('SHS_BAD_SIGNATURE', 'msg4 signature (sigB) does not verify')
        }
        const result = deriveSession(key3!, localPk, serverPk, localChallenge, remoteChallenge!)
        destroy()
        return result
      })
    },

    destroy,
  }
}

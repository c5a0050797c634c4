import sodium from 'sodium-native'
import { asBuffer, assertBytes, isCanonicalBase64, toBase64 } from './bytes.js'
import { PUBLIC_KEY_BYTES, SECRET_KEY_BYTES, SEED_BYTES } from './constants.js'
import { KeysError } from './errors.js'
import { type FeedId, publicKeyToFeedId } from './links.js'

export interface Keys {
  curve: 'ed25519'
  /** base64 public key + `.ed25519` */
  public: string
  /** base64 of the 64-byte secret key (seed || public key) + `.ed25519` */
  private: string
  id: FeedId
  publicKey: Uint8Array
  secretKey: Uint8Array
}

/** The JSON form ssb-keys uses, key order as ssb-keys writes it. */
export interface KeysJSON {
  curve: 'ed25519'
  public: string
  private: string
  id: FeedId
}

/** Ed25519 key pair from a 32-byte seed, or from 32 random bytes. */
export function generateKeys(seed?: Uint8Array): Keys {
  const s = new Uint8Array(SEED_BYTES)
  if (seed === undefined) sodium.randombytes_buf(asBuffer(s))
  else {
    assertBytes(seed, SEED_BYTES, 'generateKeys(seed)')
    s.set(seed)
  }
  const publicKey = new Uint8Array(PUBLIC_KEY_BYTES)
  const secretKey = new Uint8Array(SECRET_KEY_BYTES)
  sodium.crypto_sign_seed_keypair(asBuffer(publicKey), asBuffer(secretKey), asBuffer(s))
  s.fill(0)
  return keysFromSecretKeyUnchecked(secretKey, publicKey)
}

function keysFromSecretKeyUnchecked(secretKey: Uint8Array, publicKey: Uint8Array): Keys {
  const pub = `${toBase64(publicKey)}.ed25519`
  return {
    curve: 'ed25519',
    public: pub,
    private: `${toBase64(secretKey)}.ed25519`,
    id: publicKeyToFeedId(publicKey),
    publicKey,
    secretKey,
  }
}

/**
 * Keys from a 64-byte libsodium secret key. The public half is re-derived from the seed and
 * must match the last 32 bytes, so a corrupted key is refused rather than signing garbage.
 */
export function keysFromSecretKey(secretKey: Uint8Array): Keys {
  assertBytes(secretKey, SECRET_KEY_BYTES, 'keysFromSecretKey(secretKey)')
  const publicKey = new Uint8Array(PUBLIC_KEY_BYTES)
  const derivedSk = new Uint8Array(SECRET_KEY_BYTES)
  sodium.crypto_sign_seed_keypair(asBuffer(publicKey), asBuffer(derivedSk), asBuffer(secretKey.subarray(0, SEED_BYTES)))
  const consistent = sodium.sodium_memcmp(asBuffer(derivedSk), asBuffer(secretKey))
  derivedSk.fill(0)
  if (!consistent) throw new KeysError('KEYS_INVALID_KEYS', 'secret key: public half does not match its seed')
  return keysFromSecretKeyUnchecked(new Uint8Array(secretKey), publicKey)
}

// `<b64>.ed25519`; ssb-keys also reads a bare `<b64>` (it cuts at the first dot).
function decodeTagged(s: unknown, length: number, what: string): Uint8Array {
  if (typeof s !== 'string') throw new KeysError('KEYS_INVALID_KEYS', `${what}: expected a string`)
  const dot = s.indexOf('.')
  const b64 = dot === -1 ? s : s.slice(0, dot)
  if (dot !== -1 && s.slice(dot + 1) !== 'ed25519') {
    throw new KeysError('KEYS_INVALID_KEYS', `${what}: only ed25519 keys are supported`)
  }
  if (!isCanonicalBase64(b64, length)) {
    throw new KeysError('KEYS_INVALID_KEYS', `${what}: expected canonical base64 of ${length} bytes`)
  }
  return new Uint8Array(Buffer.from(b64, 'base64'))
}

/**
 * Keys from the ssb-keys JSON object `{curve, public, private, id}`. Accepts the legacy
 * variants ssb-keys reads: missing `curve`, missing `id` or an `id` without sigil, tags omitted.
 */
export function keysFromJSON(obj: unknown): Keys {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new KeysError('KEYS_INVALID_KEYS', 'expected an object {curve, public, private, id}')
  }
  const o = obj as Record<string, unknown>
  if (o.curve !== undefined && o.curve !== 'ed25519') {
    throw new KeysError('KEYS_INVALID_KEYS', `unsupported curve ${String(o.curve)}`)
  }
  const keys = keysFromSecretKey(decodeTagged(o.private, SECRET_KEY_BYTES, 'private'))
  if (o.public !== undefined) {
    const pk = decodeTagged(o.public, PUBLIC_KEY_BYTES, 'public')
    if (!sodium.sodium_memcmp(asBuffer(pk), asBuffer(keys.publicKey))) {
      throw new KeysError('KEYS_INVALID_KEYS', 'public does not match private')
    }
  }
  if (o.id !== undefined && o.id !== null) {
    if (typeof o.id !== 'string') throw new KeysError('KEYS_INVALID_KEYS', 'id: expected a string')
    const id = /^[@%&]/.test(o.id) ? o.id : `@${o.id}`
    if (id !== keys.id) throw new KeysError('KEYS_INVALID_KEYS', 'id does not match public')
  }
  return keys
}

export function keysToJSON(keys: Keys): KeysJSON {
  return { curve: 'ed25519', public: keys.public, private: keys.private, id: keys.id }
}

import { isFeedId, type Keys, type MsgId, publicKeyToFeedId, SECRET_KEY_BYTES, sign, toBase64 } from '@ssb/keys'
import { checkContentType, isEncrypted, isInt32, stringifyMessage } from './checks.js'
import { MAX_MESSAGE_LENGTH } from './constants.js'
import { ValidationError } from './errors.js'
import { hmac, normalizeHmacKey } from './hmac.js'
import { idOfJson, signatureTail } from './serialize.js'
import type { FeedOptions, FeedState, MsgValue } from './types.js'

/**
 * Creates and signs the next message of `keys`' feed, as ssb-validate 4.1.4 `create` does
 * (keys in its order: previous, sequence, author, timestamp, hash, content, signature), so the
 * id equals what ssb-server would publish for the same inputs. The returned value is the parse
 * of the signed text, so it serialises back to exactly those bytes. Throws ValidationError for
 * content or sizes that validation would refuse.
 */
export function createMessage(
  keys: Keys,
  state: FeedState | null,
  content: object | string,
  timestamp: number,
  opts: FeedOptions = {},
): { key: MsgId; value: MsgValue } {
  if (!isFeedId(keys.id)) throw new ValidationError('INVALID_AUTHOR', false, 'keys.id must be an ed25519 feed id')
  // A keys object whose id is not its own key would publish messages nobody can verify.
  if (
    keys.secretKey instanceof Uint8Array &&
    keys.secretKey.length === SECRET_KEY_BYTES &&
    publicKeyToFeedId(keys.secretKey.subarray(32)) !== keys.id
  ) {
    throw new ValidationError('INVALID_AUTHOR', false, 'keys.id does not match keys.secretKey')
  }
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
    throw new ValidationError('INVALID_TIMESTAMP', false, 'timestamp must be a finite number')
  }
  if (!((typeof content === 'object' && content !== null) || isEncrypted(content))) {
    throw new ValidationError('INVALID_CONTENT', false, 'content must be an object or an encrypted string (<base64>.box)')
  }
  const hmacKey = normalizeHmacKey(opts.hmacKey)
  const sequence = state ? state.sequence + 1 : 1
  if (!isInt32(sequence)) throw new ValidationError('INVALID_SEQUENCE', false, 'sequence out of range')
  const unsigned = {
    previous: state ? state.id : null,
    sequence,
    author: keys.id,
    timestamp,
    hash: 'sha256',
    content,
  }
  const text = stringifyMessage(unsigned)
  const value = JSON.parse(text) as MsgValue
  checkContentType(value.content)
  const utf8 = Buffer.from(text, 'utf8')
  const sig = sign(keys.secretKey, hmacKey === null ? utf8 : hmac(hmacKey, utf8))
  value.signature = `${toBase64(sig)}.sig.ed25519`
  const json = text.slice(0, text.length - 2) + signatureTail(value.signature)
  if (json.length > MAX_MESSAGE_LENGTH) {
    throw new ValidationError('TOO_LARGE', false, `message is ${json.length} characters, more than ${MAX_MESSAGE_LENGTH}`)
  }
  return { key: idOfJson(json), value }
}

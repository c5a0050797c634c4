import { MAX_MESSAGE_LENGTH, MAX_TYPE_LENGTH, MIN_TYPE_LENGTH, SIGNATURE_BASE64_LENGTH } from './constants.js'
import { ValidationError, type ValidationErrorCode } from './errors.js'
import type { FeedState } from './types.js'

// Regexes exactly as ssb-validate 4.1.4 builds them (ssb-ref, is-canonical-base64). The
// unescaped `.` before the feed suffix and in `.sig.` is theirs too; later checks pin them down.
const B64 =
  '(?:[a-zA-Z0-9/+]{4})*(?:[a-zA-Z0-9/+](?:(?:[AQgw]==)|(?:[a-zA-Z0-9/+][AEIMQUYcgkosw048]=)))?'
const FEED_ID_RX = /^@[a-zA-Z0-9/+]{42}[AEIMQUYcgkosw048]=.(?:sha256|ed25519)$/
const SIGNATURE_RX = new RegExp(`^${B64}\\.sig.\\w+$`)
// Does not anchor the end: future box versions (`.box2`) are accepted.
const BOX_RX = new RegExp(`^${B64}\\.box.*$`)

function fail(code: ValidationErrorCode, fatal: boolean, message: string): never {
  throw new ValidationError(code, fatal, message)
}

export function isFeedIdLoose(s: unknown): s is string {
  return typeof s === 'string' && FEED_ID_RX.test(s)
}

/** Encrypted content: canonical base64 followed by `.box` and anything (ssb-validate isEncrypted). */
export function isEncrypted(s: unknown): s is string {
  return typeof s === 'string' && s !== '' && BOX_RX.test(s)
}

function isObjectLike(o: unknown): o is Record<string, unknown> {
  return typeof o === 'object' && o !== null
}

// ssb-validate isSigMatchesCurve: 88 base64 symbols then `.sig.` + the author's curve.
function signatureMatchesAuthor(signature: unknown, author: string): boolean {
  if (typeof signature !== 'string' || !SIGNATURE_RX.test(signature)) return false
  if (author.charCodeAt(45) !== 0x2e) return false
  const curve = author.slice(46)
  return (
    signature.length - (curve.length + 5) === SIGNATURE_BASE64_LENGTH &&
    signature.substring(SIGNATURE_BASE64_LENGTH) === `.sig.${curve}`
  )
}

// ssb-validate isValidOrder(msg, true): 7 keys, author and sequence may be swapped.
function hasValidKeyOrder(msg: object): boolean {
  const keys = Object.keys(msg)
  if (keys.length !== 7) return false
  if (keys[0] !== 'previous' || keys[3] !== 'timestamp' || keys[4] !== 'hash' || keys[5] !== 'content') return false
  if (keys[6] !== 'signature') return false
  return (keys[1] === 'sequence' && keys[2] === 'author') || (keys[1] === 'author' && keys[2] === 'sequence')
}

export function isInt32(n: unknown): boolean {
  return ~~(n as number) === n
}

/** ssb-validate isInvalidContent: unless encrypted, `type` is a string of 3..52 code units. */
export function checkContentType(content: unknown): void {
  if (isEncrypted(content)) return
  const type = (content as { type?: unknown }).type
  if (typeof type !== 'string' || type.length < MIN_TYPE_LENGTH || type.length > MAX_TYPE_LENGTH) {
    fail('INVALID_CONTENT', false, `content type must be a string of ${MIN_TYPE_LENGTH}..${MAX_TYPE_LENGTH} characters`)
  }
}

export function stringifyMessage(msg: object): string {
  let json: string | undefined
  try {
    json = JSON.stringify(msg, null, 2)
  } catch (err) {
    throw new ValidationError('INVALID_SHAPE', false, 'message is not JSON-serialisable', { cause: err })
  }
  if (typeof json !== 'string') fail('INVALID_SHAPE', false, 'message is not JSON-serialisable')
  return json
}

/**
 * Every check of ssb-validate 4.1.4 `checkInvalid` except the HMAC key and the signature, in
 * its order and with its `fatal` flags (checkInvalidCheap, then isInvalidShape). Returns the
 * canonical text, which the caller needs for the id and the signed bytes.
 */
export function checkMessageStructure(state: FeedState | null | undefined, msg: unknown): string {
  if (!isObjectLike(msg)) return fail('INVALID_SHAPE', false, 'message must be an object')
  const author = msg.author
  if (!isFeedIdLoose(author)) fail('INVALID_AUTHOR', false, 'author must be a feed id')
  if (!signatureMatchesAuthor(msg.signature, author)) {
    fail('INVALID_SIGNATURE', false, 'signature must be 88 base64 characters followed by .sig.ed25519')
  }
  if (state) {
    // Loose comparisons on purpose: ssb-validate uses `!=` here, later checks catch the types.
    // eslint-disable-next-line eqeqeq
    if (msg.sequence != state.sequence + 1) {
      fail('INVALID_SEQUENCE', false, `expected sequence ${state.sequence + 1}, got ${String(msg.sequence)}`)
    }
    // eslint-disable-next-line eqeqeq
    if (msg.previous != state.id) fail('FORK', true, `sequence ${state.sequence + 1} does not chain onto ${state.id}`)
  } else {
    if (msg.previous !== null) fail('INVALID_PREVIOUS', true, 'first message must have previous: null')
    if (msg.sequence !== 1) fail('INVALID_SEQUENCE', true, 'first message must have sequence: 1')
    if (typeof msg.timestamp !== 'number') fail('INVALID_TIMESTAMP', true, 'first message must have a number timestamp')
  }
  if (!hasValidKeyOrder(msg)) {
    fail('INVALID_SHAPE', true, 'keys must be previous, author|sequence, sequence|author, timestamp, hash, content, signature')
  }
  if (!isInt32(msg.sequence)) fail('INVALID_SHAPE', false, 'sequence must be an integer')
  const content = msg.content
  if (!(isObjectLike(content) || isEncrypted(content))) {
    fail('INVALID_CONTENT', false, 'content must be an object or an encrypted string (<base64>.box)')
  }
  if (msg.hash !== 'sha256') fail('INVALID_HASH', false, 'hash must be "sha256"')
  const json = stringifyMessage(msg)
  if (json.length > MAX_MESSAGE_LENGTH) {
    fail('TOO_LARGE', false, `message is ${json.length} characters, more than ${MAX_MESSAGE_LENGTH}`)
  }
  checkContentType(content)
  return json
}

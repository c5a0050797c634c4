import { mkdir, open, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { MAX_SECRET_FILE_BYTES, SECRET_FILE_MODE } from './constants.js'
import { KeysError } from './errors.js'
import { generateKeys, type Keys, keysFromJSON, keysToJSON } from './keypair.js'

// The exact text ssb-keys 8 (storage.js constructKeys) writes around the JSON.
const HEADER = `# WARNING: Never show this to anyone.
# WARNING: Never edit it or use it on multiple devices at once.
#
# This is your SECRET, it gives you magical powers. With your secret you can
# sign your messages so that your friends can verify that the messages came
# from you. If anyone learns your secret, they can use it to impersonate you.
#
# If you use this secret on more than one device you will create a fork and
# your friends will stop replicating your content.
#
`

/** The `secret` file text, byte for byte what ssb-keys 8 writes for the same keys. */
export function formatSecretFile(keys: Keys): string {
  return `${HEADER}${JSON.stringify(keysToJSON(keys), null, 2)}
#
# The only part of this file that's safe to share is your public name:
#
#   ${keys.id}`
}

/**
 * Parses `secret` file text with ssb-keys' loader (protocol.md §1.2): drop every `#` comment
 * with the whitespace before it, drop empty lines, join, JSON.parse. A legacy file holding just
 * the private key (`<b64>.ed25519`, written by ssb-keys with `legacy` set) is accepted too.
 */
export function parseSecretFile(text: string): Keys {
  const body = text
    .replace(/\s*#[^\n]*/g, '')
    .split('\n')
    .filter((line) => line !== '')
    .join('')
  let obj: unknown
  try {
    obj = JSON.parse(body)
  } catch {
    obj = { private: body.trim() }
  }
  try {
    return keysFromJSON(typeof obj === 'string' ? { private: obj } : obj)
  } catch (err) {
    throw new KeysError('KEYS_SECRET_INVALID', `secret file: ${(err as Error).message}`, { cause: err })
  }
}

function isErrno(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === code
}

export async function loadSecret(path: string): Promise<Keys> {
  let text: string
  try {
    const fh = await open(path, 'r')
    try {
      const { size } = await fh.stat()
      if (size > MAX_SECRET_FILE_BYTES) {
        throw new KeysError('KEYS_SECRET_INVALID', `secret file is ${size} bytes, more than ${MAX_SECRET_FILE_BYTES}`)
      }
      text = await readFile(fh, 'latin1')
    } finally {
      await fh.close()
    }
  } catch (err) {
    if (err instanceof KeysError) throw err
    if (isErrno(err, 'ENOENT')) throw new KeysError('KEYS_SECRET_NOT_FOUND', `no secret file at ${path}`, { cause: err })
    throw new KeysError('KEYS_SECRET_IO', `cannot read secret file ${path}`, { cause: err })
  }
  return parseSecretFile(text)
}

/** Writes a new `secret` file (mode 0400). Never overwrites: KEYS_SECRET_EXISTS if one is there. */
export async function saveSecret(path: string, keys: Keys): Promise<void> {
  const text = formatSecretFile(keys)
  try {
    await mkdir(dirname(path), { recursive: true })
    const fh = await open(path, 'wx', SECRET_FILE_MODE)
    try {
      await fh.writeFile(text, 'latin1')
      await fh.sync()
    } finally {
      await fh.close()
    }
  } catch (err) {
    if (isErrno(err, 'EEXIST')) throw new KeysError('KEYS_SECRET_EXISTS', `secret file ${path} already exists`, { cause: err })
    throw new KeysError('KEYS_SECRET_IO', `cannot write secret file ${path}`, { cause: err })
  }
}

/** Loads the `secret` file, or creates one with fresh keys if there is none. */
export async function loadOrCreateSecret(path: string): Promise<Keys> {
  try {
    return await loadSecret(path)
  } catch (err) {
    if (!(err instanceof KeysError) || err.code !== 'KEYS_SECRET_NOT_FOUND') throw err
  }
  const keys = generateKeys()
  try {
    await saveSecret(path, keys)
    return keys
  } catch (err) {
    // Someone else created it between our read and our write: theirs wins.
    if (err instanceof KeysError && err.code === 'KEYS_SECRET_EXISTS') return loadSecret(path)
    throw err
  }
}

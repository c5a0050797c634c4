import { closeSync, mkdirSync, openSync, readFileSync, writeSync, fsyncSync } from 'node:fs'
import { dirname } from 'node:path'
import { formatSecretFile, generateKeys, parseSecretFile, SECRET_FILE_MODE, type Keys } from '@ssb/keys'

/**
 * Loads `{path}/secret` in ssb-keys format, creating it (mode 0400, never overwriting) when it
 * does not exist. Synchronous so that `Server(config)` can know its id at once, like ssb-server.
 */
export function loadOrCreateSecretSync(file: string): Keys {
  try {
    return parseSecretFile(readFileSync(file, 'utf8'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const keys = generateKeys()
  mkdirSync(dirname(file), { recursive: true })
  let fd: number
  try {
    fd = openSync(file, 'wx', SECRET_FILE_MODE)
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return parseSecretFile(readFileSync(file, 'utf8'))
    throw err
  }
  try {
    writeSync(fd, formatSecretFile(keys))
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  return keys
}

import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import {
  formatSecretFile,
  generateKeys,
  KeysError,
  keysToJSON,
  loadOrCreateSecret,
  loadSecret,
  MAX_SECRET_FILE_BYTES,
  saveSecret,
} from '../src/index.js'
import { type KeyVector, readVectors } from './vectors.js'

interface SsbKeysJSON { curve: string; public: string; private: string; id: string }
const ssbKeys = createRequire(import.meta.url)('ssb-keys') as {
  createSync(path: string, curve?: string, legacy?: boolean): SsbKeysJSON
  loadSync(path: string): SsbKeysJSON
}

const [vector] = readVectors<{ keys: KeyVector[] }>('keys.json').keys
const seededKeys = () => generateKeys(Buffer.from(vector!.seedHex, 'hex'))

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssb-keys-test-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function expectKeysError(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(KeysError)
  expect((err as KeysError).code).toBe(code)
}

describe('secret file, interop with ssb-keys 8.5.0', () => {
  test('we load what ssb-keys createSync writes', async () => {
    const path = join(dir, 'js', 'secret')
    const js = ssbKeys.createSync(path)
    const ours = await loadSecret(path)
    expect(keysToJSON(ours)).toEqual(js)
  })

  test('we load the legacy file ssb-keys writes with legacy=true', async () => {
    const path = join(dir, 'secret')
    const js = ssbKeys.createSync(path, 'ed25519', true)
    expect((await readFile(path, 'utf8')).includes('{')).toBe(false)
    const ours = await loadSecret(path)
    expect(keysToJSON(ours)).toEqual(js)
  })

  test('ssb-keys loads what we write, and the bytes are identical to what it writes', async () => {
    const keys = seededKeys()
    const path = join(dir, 'a', 'b', 'secret')
    await saveSecret(path, keys)
    expect(ssbKeys.loadSync(path)).toEqual(keysToJSON(keys))

    const jsPath = join(dir, 'js-secret')
    const js = ssbKeys.createSync(jsPath)
    const jsText = await readFile(jsPath, 'utf8')
    const ourText = formatSecretFile(await loadSecret(jsPath))
    expect(ourText).toBe(jsText)
    expect(js.id).toBe((await loadSecret(jsPath)).id)
  })

  test('file mode is 0400', async () => {
    const path = join(dir, 'secret')
    await saveSecret(path, seededKeys())
    expect((await stat(path)).mode & 0o777).toBe(0o400)
  })

  test('saveSecret never overwrites', async () => {
    const path = join(dir, 'secret')
    await saveSecret(path, seededKeys())
    const before = await readFile(path, 'utf8')
    await expectKeysError(saveSecret(path, generateKeys()), 'KEYS_SECRET_EXISTS')
    expect(await readFile(path, 'utf8')).toBe(before)
  })
})

describe('loadSecret', () => {
  test('missing file is KEYS_SECRET_NOT_FOUND', async () => {
    await expectKeysError(loadSecret(join(dir, 'nope')), 'KEYS_SECRET_NOT_FOUND')
  })

  test('garbage is KEYS_SECRET_INVALID', async () => {
    const path = join(dir, 'secret')
    await writeFile(path, '# comment\n{"curve": "ed25519", "public": 1}\n')
    await expectKeysError(loadSecret(path), 'KEYS_SECRET_INVALID')
    await writeFile(path, 'not a key at all')
    await expectKeysError(loadSecret(path), 'KEYS_SECRET_INVALID')
  })

  test('oversized file is refused', async () => {
    const path = join(dir, 'secret')
    await writeFile(path, '#'.repeat(MAX_SECRET_FILE_BYTES + 1))
    await expectKeysError(loadSecret(path), 'KEYS_SECRET_INVALID')
  })

  test('a directory is KEYS_SECRET_IO', async () => {
    await expectKeysError(loadSecret(dir), 'KEYS_SECRET_IO')
  })

  test('comments, indentation and id without sigil are tolerated', async () => {
    const k = seededKeys()
    const path = join(dir, 'secret')
    const json = { ...keysToJSON(k), id: k.public }
    await writeFile(path, `  # hi\n\n${JSON.stringify(json, null, 4)}   # trailing\n#   ${k.id}\n`)
    expect((await loadSecret(path)).id).toBe(k.id)
  })
})

describe('loadOrCreateSecret', () => {
  test('creates once, then loads the same keys', async () => {
    const path = join(dir, 'nested', 'secret')
    const a = await loadOrCreateSecret(path)
    const b = await loadOrCreateSecret(path)
    expect(b.id).toBe(a.id)
    expect(ssbKeys.loadSync(path).id).toBe(a.id)
  })

  test('concurrent callers agree on one identity', async () => {
    const path = join(dir, 'secret')
    const all = await Promise.all([loadOrCreateSecret(path), loadOrCreateSecret(path), loadOrCreateSecret(path)])
    expect(new Set(all.map((k) => k.id)).size).toBe(1)
  })

  test('a corrupt file is not replaced', async () => {
    const path = join(dir, 'secret')
    await writeFile(path, 'corrupt')
    await expectKeysError(loadOrCreateSecret(path), 'KEYS_SECRET_INVALID')
    expect(await readFile(path, 'utf8')).toBe('corrupt')
  })
})

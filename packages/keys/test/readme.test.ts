import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'

// The README examples, kept runnable here.
test('README: sign and verify', async () => {
  const { generateKeys, sign, verify } = await import('@ssb/keys')

  const keys = generateKeys()
  const data = new TextEncoder().encode('hello')
  console.log(verify(keys.publicKey, sign(keys.secretKey, data), data)) // true

  expect(verify(keys.publicKey, sign(keys.secretKey, data), data)).toBe(true)
})

test('README: secret file', async () => {
  const { loadOrCreateSecret, loadSecret } = await import('@ssb/keys')
  const dir = await mkdtemp(join(tmpdir(), 'ssb-keys-readme-'))
  try {
    const path = join(dir, '.ssb', 'secret')

    const keys = await loadOrCreateSecret(path)
    console.log(keys.id) // @…=.ed25519
    console.log((await loadSecret(path)).id === keys.id) // true

    expect((await loadSecret(path)).id).toBe(keys.id)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

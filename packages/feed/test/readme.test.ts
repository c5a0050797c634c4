import { expect, test } from 'vitest'

// The README example, kept runnable here.
test('README example', async () => {
  const { generateKeys } = await import('@ssb/keys')
  const { createMessage, validateMessage, createBatchValidator } = await import('@ssb/feed')

  const keys = generateKeys()
  const first = createMessage(keys, null, { type: 'post', text: 'hello €' }, Date.now())
  const { state } = validateMessage(null, JSON.parse(JSON.stringify(first.value)))
  const second = createMessage(keys, state, { type: 'post', text: 'again' }, Date.now())

  const validator = createBatchValidator({ workers: 2 })
  const result = await validator.validateBatch(null, [first.value, second.value])
  await validator.close()
  console.log(result.valid.map((m) => m.key), result.state?.sequence) // [ '%…sha256', '%…sha256' ] 2

  expect(result.valid.map((m) => m.key)).toEqual([first.key, second.key])
  expect(result.state?.sequence).toBe(2)
})

import { expect, test } from 'vitest'

// The README example, kept runnable here.
test('README: box for two recipients, open as one of them', async () => {
  const { generateKeys } = await import('@ssb/keys')
  const { boxContent, unboxContent } = await import('@ssb/private-box')

  const alice = generateKeys()
  const bob = generateKeys()
  const carol = generateKeys()
  const content = { type: 'post', text: 'just for us', recps: [alice.id, bob.id] }

  const boxed = boxContent(content, content.recps) // '…base64….box', the message's content
  console.log(unboxContent(boxed, bob)) // { type: 'post', text: 'just for us', recps: [...] }
  console.log(unboxContent(boxed, carol)) // null: not for carol

  expect(unboxContent(boxed, bob)).toEqual(content)
  expect(unboxContent(boxed, carol)).toBeNull()
})

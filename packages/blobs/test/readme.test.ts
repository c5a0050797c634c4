import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'

// The README examples, kept runnable here.
test('README: store a blob and fetch it from a peer', async () => {
  const root = await mkdtemp(join(tmpdir(), 'ssb-blobs-readme-'))
  try {
    const { createBlobsSync, openBlobStore } = await import('@ssb/blobs')

    const alice = await openBlobStore({ dir: join(root, 'alice') })
    const bob = await openBlobStore({ dir: join(root, 'bob') })
    const { id } = await bob.add(new TextEncoder().encode('hello blobs'))
    console.log(id) // &…=.sha256

    // One engine per node; an RPC layer connects them. Here: in memory.
    const aliceSync = createBlobsSync({ store: alice }, {})
    const bobSync = createBlobsSync({ store: bob }, {})
    const bobAtAlice = aliceSync.addPeer('@bob', { get: (blob, { max, signal }) => bob.get(blob, { max, signal }) })
    const aliceAtBob = bobSync.addPeer('@alice', { get: (blob, { max, signal }) => alice.get(blob, { max, signal }) })
    void bobAtAlice.receiveWants(aliceAtBob.createWants()) // alice reads bob's blobs.createWants
    void aliceAtBob.receiveWants(bobAtAlice.createWants()) // and bob reads alice's

    await aliceSync.want(id) // resolves once alice has it
    const chunks: Uint8Array[] = []
    for await (const chunk of alice.get(id)) chunks.push(chunk)
    console.log(new TextDecoder().decode(Buffer.concat(chunks))) // hello blobs

    expect(new TextDecoder().decode(Buffer.concat(chunks))).toBe('hello blobs')
    aliceSync.close()
    bobSync.close()
    await alice.close()
    await bob.close()
  } finally {
    await rm(root, { recursive: true, force: true })
  }
})

// Peers that met before they followed each other: EBT request skipping must not leave both sides
// waiting for the other's note after the follow (ssb-ebt 5 with a JS peer on both ends stalls here).
import { expect, test } from 'vitest'
import { call } from '../src/client.js'
import { startOurServer } from '../src/our-server.js'
import { startReference } from '../src/reference.js'
import { referenceClock, referenceFollows, referenceReplicates } from '../src/replication-helpers.js'
import { pollUntil } from '../src/wait.js'

test('connect, disconnect, follow both ways, reconnect: both feeds arrive', async () => {
  const ref = await startReference()
  const client = await ref.client()
  const ours = await startOurServer({ gossip: { connections: 0 } })
  try {
    // First meeting: nobody follows anybody; both sides remember the other's clock.
    const first = await ours.server.connect(ref.address)
    await new Promise((r) => setTimeout(r, 500))
    await first.rpc.close()
    await pollUntil(() => ours.server.connections().length === 0, { what: 'first connection closed' })

    const theirs = await call<{ key: string }>(client, 'publish', { type: 'post', text: 'from the reference' })
    await ours.server.db.publish({ type: 'contact', contact: ref.id, following: true })
    const mine = await ours.server.db.publish({ type: 'post', text: 'from ours' })
    await referenceFollows(client, [ours.id])
    await referenceReplicates(client, [ours.id])

    await ours.server.connect(ref.address)
    await pollUntil(async () => (await ours.server.db.get(theirs.key).catch(() => null)) !== null, { what: 'the reference feed on ours', timeoutMs: 20_000 })
    await pollUntil(async () => ((await referenceClock(client))[ours.id] ?? 0) >= mine.value.sequence, { what: 'our feed on the reference', timeoutMs: 20_000 })
    expect((await referenceClock(client))[ours.id]).toBe(mine.value.sequence)
  } finally {
    await ours.stop()
    await ref.stop()
  }
}, 90_000)

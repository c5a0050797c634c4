import { type FeedState, type KVT, type MsgValue, messageId } from '@ssb/feed'
import type { Core } from './core.js'
import { decValueOffset, keyOfMsg } from './index-keys.js'
import { decodeRecord } from './record.js'

/**
 * If `value` is a message we already store (its sequence is not past the feed's latest and its
 * id is known), returns the stored KVT; otherwise null and validation decides.
 */
export async function findExisting(
  core: Core,
  value: unknown,
  st: FeedState | null,
  inGroup: Map<string, KVT>,
): Promise<KVT | null> {
  if (st === null || typeof value !== 'object' || value === null) return null
  const seq = (value as { sequence?: unknown }).sequence
  if (typeof seq !== 'number' || seq > st.sequence) return null
  let id: string
  try {
    id = messageId(value as MsgValue)
  } catch {
    return null
  }
  const staged = inGroup.get(id)
  if (staged !== undefined) return staged
  if (seq === st.sequence && id !== st.id) return null
  return readById(core, id)
}

/** Reads a message by id through the key index (waits until everything appended is indexed). */
export async function readById(core: Core, id: string): Promise<KVT | null> {
  await core.indexer.caughtUp()
  const off = await core.state.level.get(keyOfMsg(id))
  if (off === undefined) return null
  const bytes = await core.log.get(decValueOffset(off))
  return bytes === null ? null : decodeRecord(bytes)
}

import { type Core, settled } from './core.js'
import { contactEdgeOf, forEachEntry, typeOf } from './derive.js'
import { META_KEY, encOffset, keyOfContact, keyOfLatest, keyOfSeq, keyOfType } from './index-keys.js'
import { parseMeta } from './index-state.js'
import { decodeRecord, indexedContent } from './record.js'
import { decodeRun } from './runs.js'

const MAX_PROBLEMS = 100

/**
 * Recomputes every index entry from a full log scan and compares with the store and with the
 * in-memory feed states. Sequence/type runs are compared per message (run boundaries depend on
 * batching); offsets of erased records left in runs are accepted. Seek samples and erase
 * markers are not checked. Memory is O(index size): a diagnostic, not something to run on
 * every start.
 */
export async function verifyIndexes(core: Core): Promise<string[]> {
  await settled(core)
  await core.indexer.caughtUp()
  const expected = new Map<string, string>()
  const perMessage = new Map<string, number>() // keyOfSeq / keyOfType → offset
  const latest = new Map<string, { id: string; sequence: number; timestamp: number }>()
  const upTo = core.indexer.indexedUpTo
  let lastOffset = -1
  for await (const entry of core.log.stream({ borrow: true })) {
    if (entry.offset > upTo) break
    const kvt = decodeRecord(entry.value)
    const m = { offset: entry.offset, kvt, content: indexedContent(kvt.value, core.opts.unbox, core.logger) }
    forEachEntry(m, (k, v) => expected.set(k, v))
    perMessage.set(keyOfSeq(kvt.value.author, kvt.value.sequence), entry.offset)
    const type = typeOf(m)
    if (type !== null) perMessage.set(keyOfType(type, entry.offset), entry.offset)
    const e = contactEdgeOf(m)
    if (e !== null) expected.set(keyOfContact(e.source, e.dest), String(e.value))
    latest.set(kvt.value.author, { id: kvt.key, sequence: kvt.value.sequence, timestamp: kvt.value.timestamp })
    lastOffset = entry.offset
  }
  for (const [author, s] of latest) expected.set(keyOfLatest(author), JSON.stringify(s))

  const problems: string[] = []
  const problem = (p: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(p)
  }
  const show = (k: string): string => JSON.stringify(k)
  const erased = async (offset: number): Promise<boolean> => (await core.log.get(offset).catch(() => undefined)) === null
  const seen = new Set<string>()
  for await (const [k, v] of core.state.level.iterator()) {
    if (k === META_KEY || k[0] === 'T' || k[0] === 'E') continue
    if (k[0] === 's' || k[0] === 't') {
      const head = k.slice(0, -11)
      const first = parseInt(k.slice(-11), 36)
      const offsets = decodeRun(v)
      if (k[0] === 't' && offsets[0] !== first) problem(`type run ${show(k)} does not start at its key`)
      for (let i = 0; i < offsets.length; i++) {
        const logical = head + encOffset(k[0] === 's' ? first + i : offsets[i]!)
        if (seen.has(logical)) problem(`${show(logical)} is in two runs`)
        seen.add(logical)
        const want = perMessage.get(logical)
        if (want === offsets[i]) perMessage.delete(logical)
        else if (!(await erased(offsets[i]!))) problem(`run entry ${show(logical)} → ${offsets[i]}, log says ${want}`)
      }
      continue
    }
    const want = expected.get(k)
    if (want === undefined) problem(`unexpected index entry ${show(k)}`)
    else if (want !== v) problem(`index entry ${show(k)} is ${show(v)}, log says ${show(want)}`)
    expected.delete(k)
  }
  for (const k of expected.keys()) problem(`missing index entry ${show(k)}`)
  for (const k of perMessage.keys()) problem(`missing run entry ${show(k)}`)

  const meta = parseMeta(await core.state.level.get(META_KEY))
  if (meta !== null && lastOffset >= 0 && meta.since < lastOffset) {
    problem(`checkpoint ${meta.since} is behind the last indexed record ${lastOffset}`)
  }
  if (core.feeds.size !== latest.size) problem(`memory has ${core.feeds.size} feeds, log has ${latest.size}`)
  for (const [author, s] of latest) {
    const mem = core.feeds.get(author)
    if (mem === undefined || mem.id !== s.id || mem.sequence !== s.sequence) problem(`feed state of ${author} differs from the log`)
  }
  return problems
}

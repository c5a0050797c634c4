// A malicious EBT peer (our own @ssb/shs + @ssb/rpc, scripted, see src/fake-peer.ts) against OUR
// server: invalid signatures, a fork, messages for feeds we never asked for, malformed frames.
// None of the bad messages are stored, the valid ones are, a peer that keeps sending invalid
// messages is cut off, and the server stays up and still serves a normal ssb-client.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { CallInfo } from '@ssb/rpc'
import { call, closeClient, collect, connectClient, source } from '../src/client.js'
import { Channel, ebtNote, isMessageFrame, readUntil, startFakePeer, type FakePeer } from '../src/fake-peer.js'
import { FeedWriter, msgId, type MsgValue } from '../src/feed-fixtures.js'
import { startOurServer, type OurServer } from '../src/our-server.js'
import { ourClock, waitForOurClock } from '../src/replication-helpers.js'
import { within } from '../src/wait.js'

const BOUND_MS = 10_000

let ours: OurServer
const fakes: FakePeer[] = []

function posts(w: FeedWriter, n: number, label: string): MsgValue[] {
  return Array.from({ length: n }, (_, i) => w.append({ type: 'post', text: `${label} ${i}` }))
}

/** Same sequence and previous, different content: the signature no longer matches. */
function tampered(msg: MsgValue): MsgValue {
  return { ...msg, content: { type: 'post', text: 'tampered' } }
}

const isNotes = (f: unknown) => !!f && typeof f === 'object' && !Array.isArray(f) && !isMessageFrame(f)
const saysRefuse = (feed: string) => (f: unknown) => isNotes(f) && (f as Record<string, number>)[feed] === -1

beforeAll(async () => {
  ours = await startOurServer()
})

afterAll(async () => {
  for (const f of fakes) await f.close()
  await ours?.stop()
})

describe('a malicious EBT peer cannot harm our server', () => {
  test('bad signature, fork, unsolicited feed and garbage frames are not stored; valid messages are', async () => {
    const ok = new FeedWriter()
    const okMsgs = posts(ok, 10, 'ok')
    const sig = new FeedWriter()
    const sigMsgs = posts(sig, 10, 'sig')
    // a fork: we hold 5 messages of `fork`; the peer holds another chain with the same key
    const fork = new FeedWriter()
    const forkMine = posts(fork, 5, 'mine')
    const forkAlt = new FeedWriter(fork.keys)
    const forkTheirs = posts(forkAlt, 6, 'theirs')
    const stranger = new FeedWriter() // nobody asked for it
    const strangerMsgs = posts(stranger, 5, 'stranger')

    for (const m of forkMine) await ours.server.db.add(m)
    for (const id of [ok.id, sig.id, fork.id]) await ours.server.db.publish({ type: 'contact', contact: id, following: true })

    const seen: unknown[] = []
    let refusedAll!: Promise<unknown>
    const fake = await startFakePeer({
      manifest: { ebt: { replicate: 'duplex' } },
      api: {
        ebt: {
          // we are the responder: notes first, then, whatever was asked, the bad stuff
          replicate: (_args: unknown[], _call: CallInfo, input: AsyncIterable<unknown>) => {
            const out = new Channel<unknown>()
            const it = input[Symbol.asyncIterator]()
            out.push({
              [ok.id]: ebtNote(10, false),
              [sig.id]: ebtNote(10, false),
              [fork.id]: ebtNote(6, false),
              [stranger.id]: ebtNote(5, false),
            })
            refusedAll = (async () => {
              await readUntil(it, seen, isNotes)
              for (const m of sigMsgs) out.push(m.sequence === 4 ? tampered(m) : m)
              out.push(forkTheirs[5]!) // sequence 6, previous = their 5th, not ours
              for (const m of strangerMsgs) out.push(m)
              out.push({ sequence: 1, author: 'not a feed', content: { type: 'x' } })
              out.push({ sequence: 99, author: sig.id, content: { type: 'gap' }, previous: null })
              out.push({ [ok.id]: 'NaN', '@junk': 4, clock: 'nope' })
              out.push('a string')
              out.push([1, 2, 3])
              for (const m of okMsgs) out.push(m)
              // ours answers an invalid message with a -1 note for that feed
              await readUntil(it, seen, saysRefuse(sig.id))
              if (!seen.some(saysRefuse(fork.id))) await readUntil(it, seen, saysRefuse(fork.id))
            })()
            return out
          },
        },
      },
    })
    fakes.push(fake)

    const conn = await ours.server.connect(fake.address)
    await waitForOurClock(ours.server, { [ok.id]: 10, [sig.id]: 3 }, BOUND_MS)
    await within(refusedAll, BOUND_MS, 'our -1 notes for the bad feeds')

    // what we said about the stranger's feed in our first notes: not replicating
    expect(seen.find(isNotes)).toMatchObject({ [stranger.id]: -1 })
    expect(ourClock(ours.server, [ok.id, sig.id, fork.id, stranger.id])).toEqual({ [ok.id]: 10, [sig.id]: 3, [fork.id]: 5, [stranger.id]: 0 })
    expect(ours.server.db.feedState(stranger.id)).toBeNull()
    const forkIds: string[] = []
    for await (const kvt of ours.server.db.createHistoryStream({ id: fork.id })) forkIds.push((kvt as { key: string }).key)
    expect(forkIds).toEqual(forkMine.map(msgId))
    await expect(ours.server.db.get(msgId(forkTheirs[5]!))).rejects.toThrow()
    await expect(ours.server.db.get(msgId(tampered(sigMsgs[3]!)))).rejects.toThrow()
    expect(conn.rpc.closed).toBe(false) // one invalid message and one fork: ignored, not cut off
  })

  test('a peer that keeps sending invalid messages is cut off; the server still serves clients', async () => {
    const feeds = Array.from({ length: 5 }, () => new FeedWriter())
    const firsts = feeds.map((w) => posts(w, 3, 'bad')[0]!)
    for (const w of feeds) await ours.server.db.publish({ type: 'contact', contact: w.id, following: true })

    const fake = await startFakePeer({ manifest: {}, api: {} })
    fakes.push(fake)
    const rpc = await fake.dial(ours.address)
    // we dial, so ours (the responder) speaks first; we answer, then send only forgeries
    const out = new Channel<unknown>()
    const frames = rpc.duplex(['ebt', 'replicate'], [{ version: 3, format: 'classic' }], out)
    const it = frames[Symbol.asyncIterator]()
    const seen: unknown[] = []
    await within(readUntil(it, seen, isNotes), BOUND_MS, 'our first notes')
    out.push(Object.fromEntries(feeds.map((w) => [w.id, ebtNote(3, false)])))
    await within(readUntil(it, seen, (f) => isNotes(f) && feeds.every((w) => (f as Record<string, number>)[w.id] === 0)), BOUND_MS, 'our requests')
    for (const m of firsts) out.push(tampered(m))

    // ours ends the EBT stream (or the connection) after a few invalid messages
    const cutOff = (async () => {
      try {
        for (;;) if ((await it.next()).done) return 'stream ended'
      } catch {
        return 'stream failed'
      }
    })()
    expect(await within(cutOff, BOUND_MS, 'ours cutting off the peer')).toMatch(/stream/)
    out.end()
    for (const w of feeds) expect(ours.server.db.feedState(w.id)).toBeNull()

    // still up: a normal ssb-client gets answers
    const client = await connectClient({ remote: ours.address, keys: ours.keys, manifest: ours.manifest })
    try {
      expect(await call(client, 'whoami')).toEqual({ id: ours.id })
      const values = await collect(source<MsgValue>(client, 'createHistoryStream', { id: ours.id, keys: false }))
      expect(values.length).toBe(ours.server.db.feedState(ours.id)!.sequence)
    } finally {
      await closeClient(client)
    }
  })
})

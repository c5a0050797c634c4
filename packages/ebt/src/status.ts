import type { FeedId } from '@ssb/keys'
import type { Engine } from './engine.js'
import type { PeerStatus, Progress } from './types.js'

/** ssb-ebt `peerStatus`. */
export function peerStatus(engine: Engine, id: FeedId): PeerStatus {
  const status: PeerStatus = { id, seq: engine.clock.get(id), peers: {} }
  for (const [peerId, peer] of engine.peers) {
    const seq = peer.clock.get(id)
    const rep = peer.replicating?.get(id)
    if (seq !== undefined || rep !== undefined) status.peers[peerId] = { seq, replicating: rep ? { ...rep } : undefined }
  }
  return status
}

/** epidemic-broadcast-trees progress.js: notes exchanged plus messages to receive and to send. */
export function progress(engine: Engine): Progress {
  const p: Progress = { start: 0, current: 0, target: 0 }
  for (const peer of engine.peers.values()) {
    for (const [feed, rep] of peer.replicating ?? []) {
      p.target += 2
      if (rep.sent !== null) p.current++
      if (rep.requested !== null) p.current++
      const seq = peer.clock.get(feed) ?? -1
      const lseq = engine.localSeq(feed)
      if (rep.rx && rep.requested !== null && rep.requested > -1 && lseq < seq) {
        p.current += lseq - rep.requested
        p.target += seq - rep.requested
      }
      if (rep.tx && seq > -1 && seq < lseq) {
        p.current += (rep.sent ?? seq) - seq
        p.target += lseq - seq
      }
    }
  }
  return p
}

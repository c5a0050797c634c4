import type { FeedId } from '@ssb/keys'
import type { ContactWeight } from './types.js'

type Adjacency = Map<FeedId, Map<FeedId, ContactWeight>>

/** The latest contact weight per (source, dest), indexed both ways. */
export class ContactGraph {
  readonly out: Adjacency = new Map()
  readonly in: Adjacency = new Map()
  edgeCount = 0

  get(source: FeedId, dest: FeedId): ContactWeight | undefined {
    return this.out.get(source)?.get(dest)
  }

  /** Sets an edge; returns the previous weight. */
  set(source: FeedId, dest: FeedId, value: ContactWeight): ContactWeight | undefined {
    let out = this.out.get(source)
    if (out === undefined) this.out.set(source, (out = new Map()))
    const previous = out.get(dest)
    out.set(dest, value)
    let into = this.in.get(dest)
    if (into === undefined) this.in.set(dest, (into = new Map()))
    into.set(source, value)
    if (previous === undefined) this.edgeCount++
    return previous
  }
}

import type { FeedId } from '@ssb/keys'
import type { ContactGraph } from './graph.js'
import { better, edgeValue, expands } from './hop-math.js'
import { traverse } from './traverse.js'
import type { ContactWeight } from './types.js'

/** Feeds whose hop value changed: new value, or undefined when the feed left the hop map. */
export type HopsDiff = Map<FeedId, number | undefined>

/** Strictly better in the hop order: smaller magnitude, then positive before negative. */
function isBetter(a: number | undefined, b: number | undefined): boolean {
  return a !== undefined && a !== b && better(a, b) === a
}

/**
 * Keeps the hop map of `start` up to date as edges change (Lifelong Planning A* / DynamicSWSF-FP
 * style). Every node has its value g and, while an update runs, a look-ahead rhs (the best value
 * its in-edges give it now). Inconsistent nodes are settled in order of magnitude; this is sound
 * because an edge always leads to a strictly larger magnitude. Only nodes whose supporting
 * in-edge got worse rescan their in-edges; improvements propagate in O(out-degree).
 */
export class IncrementalHops {
  hops: Map<FeedId, number>
  private rhs = new Map<FeedId, number | undefined>()
  private buckets: FeedId[][] = []
  private original = new Map<FeedId, number | undefined>()

  constructor(
    readonly graph: ContactGraph,
    readonly start: FeedId,
    readonly max: number,
  ) {
    this.hops = traverse(graph.out, start, max)
  }

  /** Recomputes everything (bulk loads) and returns what changed. */
  rebuild(): HopsDiff {
    const next = traverse(this.graph.out, this.start, this.max)
    const diff: HopsDiff = new Map()
    for (const [id, h] of next) if (this.hops.get(id) !== h) diff.set(id, h)
    for (const id of this.hops.keys()) if (!next.has(id)) diff.set(id, undefined)
    this.hops = next
    return diff
  }

  /** To call after `graph.set(source, dest, …)` replaced `previous` (undefined: new edge). */
  edgeChanged(source: FeedId, dest: FeedId, previous: ContactWeight | undefined): HopsDiff {
    const h = this.hops.get(source)
    if (source === dest || !expands(h, this.max)) return new Map()
    const weight = this.graph.get(source, dest)
    const before = previous === undefined ? undefined : edgeValue(h, previous)
    const after = weight === undefined ? undefined : edgeValue(h, weight)
    this.updateRhs(dest, before, after)
    this.settle()
    const diff: HopsDiff = new Map()
    for (const [id, old] of this.original) {
      const now = this.hops.get(id)
      if (now !== old) diff.set(id, now)
    }
    this.original.clear()
    this.rhs.clear()
    return diff
  }

  private rhsOf(node: FeedId): number | undefined {
    return this.rhs.has(node) ? this.rhs.get(node) : this.hops.get(node)
  }

  /** A source of `node` now contributes `after` instead of `before`. */
  private updateRhs(node: FeedId, before: number | undefined, after: number | undefined): void {
    if (node === this.start || before === after) return
    const current = this.rhsOf(node)
    let next = current
    if (isBetter(after, current)) next = after
    else if (before !== undefined && before === current) next = this.scan(node) // lost its support
    else return
    this.rhs.set(node, next)
    const g = this.hops.get(node)
    if (next !== g) this.enqueue(node, better(g, next)!)
  }

  /** The best value the in-edges of `node` give it from the current values. */
  private scan(node: FeedId): number | undefined {
    let best: number | undefined
    for (const [source, w] of this.graph.in.get(node) ?? []) {
      const h = this.hops.get(source)
      if (source !== node && expands(h, this.max)) best = better(best, edgeValue(h, w))
    }
    return best
  }

  private enqueue(node: FeedId, key: number): void {
    ;(this.buckets[Math.abs(key)] ??= []).push(node)
  }

  private setValue(node: FeedId, value: number | undefined): void {
    if (!this.original.has(node)) this.original.set(node, this.hops.get(node))
    if (value === undefined) this.hops.delete(node)
    else this.hops.set(node, value)
  }

  private settle(): void {
    for (let level = 0; level < this.buckets.length; level++) {
      const bucket = this.buckets[level]
      if (bucket === undefined) continue
      // settling may append to this bucket (a node re-queued at its own level)
      for (let i = 0; i < bucket.length; i++) {
        const node = bucket[i]!
        const g = this.hops.get(node)
        const rhs = this.rhsOf(node)
        if (g === rhs) continue
        if (isBetter(rhs, g)) {
          this.setValue(node, rhs)
          this.propagate(node, g, rhs)
        } else {
          // g was too good: drop it, tell the successors, then settle again at rhs
          this.setValue(node, undefined)
          this.propagate(node, g, undefined)
          if (rhs !== undefined) this.enqueue(node, rhs)
        }
      }
    }
    this.buckets = []
  }

  private propagate(node: FeedId, before: number | undefined, after: number | undefined): void {
    const wasOpen = expands(before, this.max)
    const isOpen = expands(after, this.max)
    if (!wasOpen && !isOpen) return
    for (const [dest, w] of this.graph.out.get(node) ?? []) {
      if (dest === node) continue
      this.updateRhs(dest, wasOpen ? edgeValue(before, w) : undefined, isOpen ? edgeValue(after, w) : undefined)
    }
  }
}

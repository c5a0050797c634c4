/** ssb-config default `friends.hops`: replicate feeds followed by feeds we follow. */
export const DEFAULT_HOPS = 2

/**
 * addEdges() with at least this many edges (or more edges than known feeds) rebuilds the hop
 * map with one full traversal instead of one incremental update per edge (initial index load).
 */
export const BULK_EDGE_THRESHOLD = 256

/** Contact edge weights, as ssb-friends 4 derives them from `contact` messages. */
export const FOLLOW = 1
export const BLOCK = -1
export const UNFOLLOW = -2

/** Nesting depth of a query (objects and arrays inside stages). */
export const MAX_QUERY_DEPTH = 32

/** Objects, arrays and scalars in one query, counted together. */
export const MAX_QUERY_NODES = 4096

/** Stages in one query array. */
export const MAX_QUERY_STAGES = 32

/**
 * Items a `$sort` stage, or groups a `$reduce` stage, may hold: both must see the whole input
 * before emitting, so this bounds the memory one query can take.
 */
export const MAX_BUFFERED_ITEMS = 250_000

/** Elements one `$collect` reduction may gather (per group). */
export const MAX_COLLECT_ITEMS = 250_000

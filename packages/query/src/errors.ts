export type QueryErrorCode =
  /** The query or its options are malformed (wrong types, unknown stage). */
  | 'QUERY_INVALID'
  /** A `$`-operator this implementation (and map-filter-reduce 3.2) does not know. */
  | 'QUERY_UNKNOWN_OPERATOR'
  /** The query is deeper or larger than the limits in constants.ts. */
  | 'QUERY_TOO_LARGE'
  /** A `$sort`/`$reduce` stage would hold more items than the limits allow. */
  | 'QUERY_LIMIT_EXCEEDED'
  /** Values a comparison cannot order (map-filter-reduce's typewise compare refuses objects). */
  | 'QUERY_UNCOMPARABLE'

export class QueryError extends Error {
  override name = 'QueryError'
  constructor(
    readonly code: QueryErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

export { QueryError, type QueryErrorCode } from './errors.js'
export {
  MAX_BUFFERED_ITEMS,
  MAX_COLLECT_ITEMS,
  MAX_QUERY_DEPTH,
  MAX_QUERY_NODES,
  MAX_QUERY_STAGES,
} from './constants.js'
export { compare } from './compare.js'
export { type Stage, applyQuery, compileQuery, runStages } from './mfr.js'
export { type IndexPlan, indexBounds, indexBySort, selectIndex } from './plan.js'
export { type Query, type QueryPlan, type QueryReadOptions, createQuery, explain, normalizeOptions } from './query.js'
export {
  BACKLINKS_INDEXES,
  LINKS2_INDEXES,
  type LinkRow2,
  type Links2ReadOptions,
  type RowQuery,
  backlinkRowsOf,
  createBacklinks,
  createLinks2,
  links2RowsOf,
} from './links.js'

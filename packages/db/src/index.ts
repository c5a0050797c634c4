export { openDb } from './db.js'
export { RAW_JSON, RawJson } from './record.js'
export { SLICES, type Sliced, sliced, slicesOf } from './read.js'
export { DbError, type DbErrorCode } from './errors.js'
export { ValidationError } from '@ssb/feed'
export {
  INDEX_VERSION,
  MAX_GROUP_MESSAGES,
  MAX_INDEX_BACKLOG,
  MAX_LIVE_BUFFER,
  SEEK_WINDOW_BYTES,
  WEIGHT_BLOCK,
  WEIGHT_FOLLOW,
  WEIGHT_UNFOLLOW,
} from './constants.js'
export { extractLinks, isRefFeed, isRefLink } from './links.js'
export { charwise, compareKeys } from './charwise.js'
export { QUERY_INDEXES, QUERY_INDEX_NAMES, type QueryView, queryView, tupleOf } from './query-index.js'
export type {
  AddBatchResult,
  ContactEdge,
  ContactWeight,
  Db,
  DbDeps,
  DbOptions,
  GetOptions,
  HistoryStreamOptions,
  IndexItem,
  IndexReadOptions,
  LogStreamOptions,
  Prefilter,
  IndexProgress,
  LatestItem,
  LinkItem,
  LinkRow,
  LinksOptions,
  QueryIndexName,
  Logger,
  ReindexProgress,
  StreamItem,
  StreamOptions,
  TypeStreamOptions,
  UserStreamOptions,
} from './types.js'

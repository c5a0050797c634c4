export { openDb } from './db.js'
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
export { extractLinks } from './links.js'
export type {
  AddBatchResult,
  ContactEdge,
  ContactWeight,
  Db,
  DbDeps,
  DbOptions,
  GetOptions,
  HistoryStreamOptions,
  IndexProgress,
  LatestItem,
  LinkItem,
  LinkRow,
  LinksOptions,
  Logger,
  ReindexProgress,
  StreamItem,
  StreamOptions,
  TypeStreamOptions,
  UserStreamOptions,
} from './types.js'

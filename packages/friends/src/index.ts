export { BLOCK, BULK_EDGE_THRESHOLD, DEFAULT_HOPS, FOLLOW, UNFOLLOW } from './constants.js'
export { FriendsError, type FriendsErrorCode } from './errors.js'
export { createFriends, type Friends } from './friends.js'
export { type LegacyGraph, toLegacyValue } from './legacy.js'
export type {
  ContactEdge,
  ContactWeight,
  EdgeListener,
  FriendsDeps,
  FriendsOptions,
  FriendStreamOptions,
  HopsOptions,
  HopStreamOptions,
  LegacyValue,
  Logger,
  ReplicationListener,
} from './types.js'

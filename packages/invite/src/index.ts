export { InviteError, type InviteErrorCode } from './errors.js'
export {
  DEFAULT_ACCEPT_RETRIES,
  DEFAULT_ACCEPT_TIMEOUT_MS,
  DEFAULT_USE_TIMEOUT_MS,
  EXHAUSTED_PERMISSIONS,
  INVITE_PERMISSIONS,
  MAX_HOST_LENGTH,
  MAX_INVITE_CODE_LENGTH,
  MAX_INVITES,
  MAX_NOTE_LENGTH,
  MAX_TABLE_FILE_BYTES,
  MAX_USES,
} from './constants.js'
export {
  formatAddress,
  formatLegacyInvite,
  formatMultiserverInvite,
  type InviteTransport,
  isInviteCode,
  type ParsedInvite,
  parseInviteCode,
  type PubAddress,
  pubMessageAddress,
} from './code.js'
export {
  type CreatedInvite,
  type CreateInviteOptions,
  guestKeys,
  type InviteRecord,
  InviteTable,
  type InviteTableOptions,
  openInviteTable,
} from './table.js'
export { acceptInvite, type AcceptedInvite, type AcceptInviteOptions, dialNet, type InviteDialer } from './accept.js'

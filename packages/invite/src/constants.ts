/** Longest invite code accepted (a legacy code with a long DNS name is ~380 characters). */
export const MAX_INVITE_CODE_LENGTH = 1024
/** Longest host name in a code (DNS limit) and in `external`. */
export const MAX_HOST_LENGTH = 253
/** Invites kept in a table at once; used-up ones are pruned first when it is full. */
export const MAX_INVITES = 10_000
/** Uses one invite may grant; ssb-invite has no limit, but a counter must stay a safe integer. */
export const MAX_USES = 1_000_000
/**
 * Longest `note` (as JSON text). The pub copies the note into its contact message, which must
 * stay under the 8192-character message limit together with the rest of the message.
 */
export const MAX_NOTE_LENGTH = 4096
/** Largest invite table file read at start-up (10,000 invites with full notes fit). */
export const MAX_TABLE_FILE_BYTES = 64 * 1024 * 1024
/** Attempts to reach the pub, as ssb-invite's accept does. */
export const DEFAULT_ACCEPT_RETRIES = 3
/** TCP connect + handshake time allowed per attempt. */
export const DEFAULT_ACCEPT_TIMEOUT_MS = 5_000
/** Time the pub has to answer `invite.use` (it publishes a message first). */
export const DEFAULT_USE_TIMEOUT_MS = 30_000
/** First pause between attempts; ssb-invite waits 500 ms plus the failed attempt's time × n. */
export const RETRY_DELAY_MS = 500
/** What ssb-invite stores for an invite guest (used by a pub's auth hook). */
export const INVITE_PERMISSIONS = Object.freeze({ allow: Object.freeze(['invite.use', 'getAddress']), deny: null })
/** Permissions of an invite that has been used up. */
export const EXHAUSTED_PERMISSIONS = Object.freeze({ allow: Object.freeze([] as string[]), deny: null })

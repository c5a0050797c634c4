/** Usage data in the muxrpc-usage shape (`{description, commands}`) that ssb-server's `help` returns. */
export function coreHelp(): object {
  const cmd = (type: string, description: string, args: Record<string, object> = {}) => ({ type, description, args })
  const range = {
    gt: { type: 'number', description: 'greater than' },
    gte: { type: 'number', description: 'greater than or equal' },
    lt: { type: 'number', description: 'less than' },
    lte: { type: 'number', description: 'less than or equal' },
    reverse: { type: 'boolean', description: 'newest first' },
    limit: { type: 'number', description: 'at most this many items' },
    live: { type: 'boolean', description: 'keep the stream open for new messages' },
    old: { type: 'boolean', description: 'include existing messages (default true)' },
    keys: { type: 'boolean', description: 'include message keys (default true)' },
    values: { type: 'boolean', description: 'include message values (default true)' },
  }
  return {
    description: 'Secure Scuttlebutt server: your feed, the messages you replicate, and queries over them',
    commands: {
      whoami: cmd('sync', 'your feed id'),
      publish: cmd('async', 'publish a message to your feed: --type TYPE plus any --field value', {
        type: { type: 'string', description: 'message type (3 to 52 characters)', optional: false },
      }),
      add: cmd('async', 'add a signed message from another feed (validated like replication)'),
      get: cmd('async', 'a message by id', { id: { type: 'MsgId', description: 'message id' } }),
      createFeedStream: cmd('source', 'all messages ordered by claimed timestamp (alias: feed)', range),
      createLogStream: cmd('source', 'all messages ordered by receive time (alias: log)', range),
      createHistoryStream: cmd('source', 'one feed by sequence (alias: hist)', {
        id: { type: 'FeedId', description: 'feed id', optional: false },
        seq: { type: 'number', description: 'first sequence (inclusive, default 1)' },
        ...range,
      }),
      createUserStream: cmd('source', 'one feed by sequence with range options', { id: { type: 'FeedId', description: 'feed id' }, ...range }),
      messagesByType: cmd('source', 'messages with content.type === type (alias: logt)', { type: { type: 'string', description: 'message type' }, ...range }),
      links: cmd('source', 'links between messages and feeds', {
        source: { type: 'FeedId', description: 'linking feed' },
        dest: { type: 'string', description: 'linked id' },
        rel: { type: 'string', description: 'relation' },
      }),
      latest: cmd('source', 'the latest sequence of every feed'),
      getLatest: cmd('async', 'the latest message of a feed', { id: { type: 'FeedId', description: 'feed id' } }),
      latestSequence: cmd('async', 'the latest sequence number of a feed', { id: { type: 'FeedId', description: 'feed id' } }),
      getVectorClock: cmd('async', 'latest sequence per feed'),
      del: cmd('async', 'delete a message or a whole feed from the local store'),
      status: cmd('sync', 'server status'),
      progress: cmd('sync', 'indexing and replication progress'),
      version: cmd('sync', 'server version'),
      manifest: cmd('sync', 'the RPC methods this server offers'),
      address: cmd('sync', 'our multiserver address for a scope'),
    },
  }
}

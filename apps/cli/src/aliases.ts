/** ssb-server's `lib/cli-cmd-aliases.js`: short names for common methods. */
export const COMMAND_ALIASES: Record<string, string> = {
  feed: 'createFeedStream',
  history: 'createHistoryStream',
  hist: 'createHistoryStream',
  public: 'getPublicKey',
  pub: 'getPublicKey',
  log: 'createLogStream',
  logt: 'messagesByType',
  conf: 'config',
}

export type ConfigErrorCode =
  | 'CONFIG_BAD_OPTIONS' // resolveConfig was called with invalid options
  | 'CONFIG_BAD_ARGV' // argv sets a nested key under a plain value (`--a 1 --a.b 2`); minimist throws a TypeError
  | 'CONFIG_BAD_JSON' // a config file starts with `{` but is not valid JSON (ssb-config crashes with a bare SyntaxError)
  | 'CONFIG_BAD_CONNECTIONS' // connections.incoming has a shape ssb-config crashes on (TypeError)
  | 'CONFIG_CONFLICT' // host/port/ws.port disagree with connections.incoming (ssb-config throws too)
  | 'CONFIG_BAD_VALUE' // configNumber() got something that is not a number

export class ConfigError extends Error {
  override name = 'ConfigError'
  /** The config file involved, when there is one. */
  readonly path: string | undefined

  constructor(
    readonly code: ConfigErrorCode,
    message: string,
    options?: ErrorOptions & { path?: string },
  ) {
    super(message, options)
    this.path = options?.path
  }
}

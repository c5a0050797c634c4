type LogFn = (msg: string, ctx?: object) => void

/** The structured logger every package takes through its deps (style.md §9). */
export interface Logger {
  error: LogFn
  warn: LogFn
  info: LogFn
  debug: LogFn
  child(bindings: object): Logger
}

/** ssb-config's `logging.level` values, most to least severe (ssb-server default: notice). */
export const LOG_LEVELS = ['error', 'warn', 'notice', 'info', 'debug'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface LoggerOptions {
  level?: string
  /** Where lines go; default process.stderr. */
  write?: (line: string) => void
  /** `json` writes one JSON object per line; `text` (default) is `time level [scope] msg k=v`. */
  format?: 'text' | 'json'
  bindings?: Record<string, unknown>
}

function levelRank(level: string | undefined): number {
  const i = LOG_LEVELS.indexOf((level ?? 'notice') as LogLevel)
  return i === -1 ? LOG_LEVELS.indexOf('notice') : i
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return /[\s="]/.test(v) ? JSON.stringify(v) : v
  if (v instanceof Error) return JSON.stringify(`${v.name}: ${v.message}`)
  try {
    return JSON.stringify(v) ?? String(v)
  } catch {
    return String(v)
  }
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const max = levelRank(opts.level)
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'))
  const bindings = opts.bindings ?? {}
  const emit = (level: LogLevel, msg: string, ctx?: object): void => {
    if (levelRank(level) > max) return
    const fields = { ...bindings, ...ctx } as Record<string, unknown>
    if (opts.format === 'json') {
      write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }, (_k, v: unknown) =>
        v instanceof Error ? `${v.name}: ${v.message}` : v,
      ))
      return
    }
    const kv = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join(' ')
    write(`${new Date().toISOString()} ${level.padEnd(6)} ${msg}${kv ? ' ' + kv : ''}`)
  }
  return {
    error: (m, c) => emit('error', m, c),
    warn: (m, c) => emit('warn', m, c),
    info: (m, c) => emit('info', m, c),
    debug: (m, c) => emit('debug', m, c),
    child: (b) => createLogger({ ...opts, bindings: { ...bindings, ...b } }),
  }
}

export const silentLogger: Logger = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
  child: () => silentLogger,
}

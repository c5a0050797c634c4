type LogFn = (msg: string, ctx?: object) => void

/** The structured logger packages receive through `deps` (style.md §9). */
export interface Logger {
  error: LogFn
  warn: LogFn
  info: LogFn
  debug: LogFn
  child(bindings: object): Logger
}

const noop: LogFn = () => {}
export const silentLogger: Logger = { error: noop, warn: noop, info: noop, debug: noop, child: () => silentLogger }

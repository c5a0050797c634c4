import { ConfigError } from './errors.js'

// A port of minimist 1.2.8 called without options, which is how rc 1.2.8 and ssb-server 16
// parse the command line. Options (string/boolean/alias/default/unknown/stopEarly) are not
// supported because neither caller uses them.

export interface ParsedArgv {
  _: Array<string | number>
  [key: string]: unknown
}

type Obj = Record<string, unknown>

const NUMBER_RE = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(e[-+]?\d+)?$/
const HEX_RE = /^0x[0-9a-f]+$/i

function isNumber(x: unknown): boolean {
  if (typeof x === 'number') return true
  const s = String(x)
  return HEX_RE.test(s) || NUMBER_RE.test(s)
}

// minimist refuses these keys so that `--__proto__.x` cannot pollute prototypes.
function isConstructorOrProto(obj: Obj, key: string): boolean {
  return (key === 'constructor' && typeof obj[key] === 'function') || key === '__proto__'
}

// Reads own properties only: minimist reads inherited ones too, so `--toString 1` there yields
// `[Function, 1]` and `--toString.x 1` writes onto Object.prototype.toString. Here both are
// plain keys. Everything else matches minimist.
function own(o: Obj, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined
}

function setKey(argv: Obj, keys: string[], value: unknown): void {
  let o: Obj = argv
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i]!
    if (isConstructorOrProto(o, key)) return
    if (own(o, key) === undefined) {
      assertWritable(o, keys)
      o[key] = {}
    }
    o = o[key] as Obj
  }
  const lastKey = keys[keys.length - 1]!
  if (isConstructorOrProto(o, lastKey)) return
  assertWritable(o, keys)
  const current = own(o, lastKey)
  if (current === undefined || typeof current === 'boolean') o[lastKey] = value
  else if (Array.isArray(current)) current.push(value)
  else o[lastKey] = [current, value]
}

// minimist is strict-mode code: `--a 1 --a.b 2` makes it throw a TypeError while writing
// `b` onto the number 1. We throw a typed error at the same point.
function assertWritable(o: unknown, keys: string[]): void {
  if (typeof o !== 'object' || o === null) {
    throw new ConfigError('CONFIG_BAD_ARGV', `cannot set --${keys.join('.')}: a parent key already holds ${JSON.stringify(o)}`)
  }
}

/** Parse command-line arguments exactly like `minimist(args)` (minimist 1.2.8, no options). */
export function parseArgv(args: readonly string[]): ParsedArgv {
  const argv: ParsedArgv = { _: [] }
  const setArg = (key: string, val: unknown): void => {
    setKey(argv, key.split('.'), isNumber(val) ? Number(val) : val)
  }

  let list = args.slice()
  let notFlags: string[] = []
  const dashdash = list.indexOf('--')
  if (dashdash !== -1) {
    notFlags = list.slice(dashdash + 1)
    list = list.slice(0, dashdash)
  }

  for (let i = 0; i < list.length; i++) {
    const arg = list[i]!
    if (/^--.+=/.test(arg)) {
      const m = /^--([^=]+)=([\s\S]*)$/.exec(arg)!
      setArg(m[1]!, m[2])
    } else if (/^--no-.+/.test(arg)) {
      setArg(/^--no-(.+)/.exec(arg)![1]!, false)
    } else if (/^--.+/.test(arg)) {
      const key = /^--(.+)/.exec(arg)![1]!
      const next = list[i + 1]
      if (next !== undefined && !/^(-|--)[^-]/.test(next)) {
        setArg(key, next)
        i += 1
      } else if (next !== undefined && /^(true|false)$/.test(next)) {
        setArg(key, next === 'true')
        i += 1
      } else {
        setArg(key, true)
      }
    } else if (/^-[^-]+/.test(arg)) {
      i = parseShortFlags(arg, list, i, setArg)
    } else {
      argv._.push(isNumber(arg) ? Number(arg) : arg)
    }
  }

  for (const k of notFlags) argv._.push(k)
  return argv
}

function parseShortFlags(
  arg: string,
  list: readonly string[],
  i: number,
  setArg: (key: string, val: unknown) => void,
): number {
  const letters = arg.slice(1, -1).split('')
  let broken = false
  for (let j = 0; j < letters.length; j++) {
    const letter = letters[j]!
    const next = arg.slice(j + 2)
    if (next === '-') {
      setArg(letter, next)
      continue
    }
    if (/[A-Za-z]/.test(letter) && next[0] === '=') {
      setArg(letter, next.slice(1))
      broken = true
      break
    }
    if (/[A-Za-z]/.test(letter) && /-?\d+(\.\d*)?(e-?\d+)?$/.test(next)) {
      setArg(letter, next)
      broken = true
      break
    }
    const following = letters[j + 1]
    if (following !== undefined && following !== '' && /\W/.test(following)) {
      setArg(letter, arg.slice(j + 2))
      broken = true
      break
    }
    setArg(letter, true)
  }

  const key = arg.slice(-1)
  if (!broken && key !== '-') {
    const next = list[i + 1]
    if (next && !/^(-|--)[^-]/.test(next)) {
      setArg(key, next)
      return i + 1
    }
    if (next && /^(true|false)$/.test(next)) {
      setArg(key, next === 'true')
      return i + 1
    }
    setArg(key, true)
  }
  return i
}

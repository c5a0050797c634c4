// A port of `ini.decode` from ini 1.3.8 (the version rc 1.2.8 uses). rc parses a config file
// as INI whenever it does not start with `{`. Values stay strings except true/false/null.

type Obj = Record<string, unknown>

function isQuoted(val: string): boolean {
  return (val.charAt(0) === '"' && val.slice(-1) === '"') || (val.charAt(0) === "'" && val.slice(-1) === "'")
}

function unsafe(raw: string | undefined): unknown {
  let val = (raw ?? '').trim()
  if (isQuoted(val)) {
    if (val.charAt(0) === "'") val = val.slice(1, -1)
    try {
      return JSON.parse(val) as unknown
    } catch {
      return val
    }
  }
  // An unescaped ; or # starts a comment.
  let esc = false
  let unesc = ''
  for (const c of val) {
    if (esc) {
      unesc += '\\;#'.includes(c) ? c : '\\' + c
      esc = false
    } else if (';#'.includes(c)) break
    else if (c === '\\') esc = true
    else unesc += c
  }
  if (esc) unesc += '\\'
  return unesc.trim()
}

// Splits `a.b\.c` into ['a', 'b\.c'], keeping escaped dots (ini's dotSplit).
function dotSplit(str: string): string[] {
  return str
    .replace(/\u0001/g, '\u0002LITERAL\\1LITERAL\u0002')
    .replace(/\\\./g, '\u0001')
    .split(/\./)
    .map((part) => part.replace(/\u0001/g, '\\.').replace(/\u0002LITERAL\\1LITERAL\u0002/g, '\u0001'))
}

export function decodeIni(str: string): Obj {
  const out: Obj = {}
  let p: Obj = out
  const re = /^\[([^\]]*)\]$|^([^=]+)(=(.*))?$/i
  for (const line of str.split(/[\r\n]+/g)) {
    if (!line || /^\s*[;#]/.test(line)) continue
    const match = re.exec(line)
    if (!match) continue
    if (match[1] !== undefined) {
      const section = String(unsafe(match[1]))
      if (section === '__proto__') {
        p = {}
        continue
      }
      p = out[section] = Object.hasOwn(out, section) && out[section] ? (out[section] as Obj) : {}
      continue
    }
    // A section named like an earlier plain key (`x=1` then `[x]`) points at that value; ini
    // runs in sloppy mode, so its writes into a primitive are silently lost.
    if (typeof p !== 'object' || p === null) continue
    const rawKey = unsafe(match[2])
    let key = String(rawKey)
    if (key === '__proto__') continue
    let value: unknown = match[3] ? unsafe(match[4]) : true
    if (value === 'true' || value === 'false' || value === 'null') value = JSON.parse(value)

    if (typeof rawKey === 'string' && key.length > 2 && key.slice(-2) === '[]') {
      key = key.substring(0, key.length - 2)
      if (key === '__proto__') continue
      const existing = Object.hasOwn(p, key) ? p[key] : undefined
      if (!existing) p[key] = []
      else if (!Array.isArray(existing)) p[key] = [existing]
    }
    const existing = Object.hasOwn(p, key) ? p[key] : undefined
    if (Array.isArray(existing)) existing.push(value)
    else p[key] = value
  }
  nestDottedSections(out)
  return out
}

// {a:{y:1},"a.b":{x:2}} --> {a:{y:1,b:{x:2}}}
function nestDottedSections(out: Obj): void {
  const remove: string[] = []
  for (const k of Object.keys(out)) {
    const section = out[k]
    if (!section || typeof section !== 'object' || Array.isArray(section)) continue
    const parts = dotSplit(k)
    let p = out
    const l = parts.pop()!
    const nl = l.replace(/\\\./g, '.')
    for (const part of parts) {
      if (part === '__proto__') continue
      const next = Object.hasOwn(p, part) ? p[part] : undefined
      if (!next || typeof next !== 'object') p[part] = {}
      p = p[part] as Obj
    }
    if (p === out && nl === l) continue
    p[nl] = section
    remove.push(k)
  }
  for (const k of remove) delete out[k]
}

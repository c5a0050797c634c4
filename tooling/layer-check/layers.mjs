import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs'
import { join, relative } from 'node:path'

/**
 * The layer order, lowest first. A package may import only packages that appear
 * earlier in this list; apps may import any package. Adding a package means adding it here.
 */
export const LAYERS = [
  'config',
  'keys',
  'feed',
  'private-box',
  'log',
  'db',
  'query',
  'friends',
  'box-stream',
  'shs',
  'rpc',
  'ebt',
  'blobs',
  'gossip',
  'invite',
]

const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s*['"](@ssb\/[a-z0-9-]+)|import\(\s*['"](@ssb\/[a-z0-9-]+)|require\(\s*['"](@ssb\/[a-z0-9-]+)/g
const TOOLING = new Set(['tsconfig', 'tsup-config', 'vitest-config', 'layer-check', 'compliance', 'interop'])

function* sourceFiles(dir) {
  if (!existsSync(dir)) return
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) yield* sourceFiles(p)
    else if (/\.(m?ts|m?js)$/.test(name)) yield p
  }
}

/** Returns a list of human-readable violations for the workspace at `root`. */
export function findViolations(root) {
  const violations = []
  const pkgDir = join(root, 'packages')
  const present = existsSync(pkgDir) ? readdirSync(pkgDir).filter((d) => existsSync(join(pkgDir, d, 'package.json'))) : []
  for (const dir of present) {
    const manifest = JSON.parse(readFileSync(join(pkgDir, dir, 'package.json'), 'utf8'))
    const self = manifest.name.replace(/^@ssb\//, '')
    const rank = LAYERS.indexOf(self)
    if (rank === -1) {
      violations.push(`${manifest.name}: not listed in tooling/layer-check/layers.mjs LAYERS`)
      continue
    }
    const deps = { ...manifest.dependencies, ...manifest.peerDependencies }
    const check = (dep, where) => {
      const name = dep.replace(/^@ssb\//, '')
      if (TOOLING.has(name) || name === self) return
      const depRank = LAYERS.indexOf(name)
      if (depRank === -1) violations.push(`${where}: imports unknown layer ${dep}`)
      else if (depRank > rank) violations.push(`${where}: ${manifest.name} (layer ${rank}) imports upper layer ${dep} (layer ${depRank})`)
    }
    for (const dep of Object.keys(deps)) if (dep.startsWith('@ssb/')) check(dep, `packages/${dir}/package.json`)
    for (const file of sourceFiles(join(pkgDir, dir, 'src'))) {
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(IMPORT_RE)) check(m[1] ?? m[2] ?? m[3], relative(root, file))
      if (/from\s*['"]\.\.\/\.\.\/(packages|apps)\//.test(text)) violations.push(`${relative(root, file)}: imports another package by path; import it by name`)
    }
  }
  return violations
}

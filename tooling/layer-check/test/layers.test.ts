import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
// @ts-expect-error plain ESM helper without types
import { findViolations } from '../layers.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

function fakePackage(dir: string, name: string, deps: Record<string, string>, src: string): void {
  const p = join(dir, 'packages', name)
  mkdirSync(join(p, 'src'), { recursive: true })
  writeFileSync(join(p, 'package.json'), JSON.stringify({ name: `@ssb/${name}`, dependencies: deps }))
  writeFileSync(join(p, 'src', 'index.ts'), src)
}

describe('layer order', () => {
  test('the workspace respects the layer order', () => {
    expect(findViolations(root)).toEqual([])
  })

  test('a lower layer importing an upper one is reported', () => {
    const dir = mkdtempSync(join(tmpdir(), 'layers-'))
    fakePackage(dir, 'keys', {}, "import { openDb } from '@ssb/db'\n")
    fakePackage(dir, 'db', { '@ssb/keys': 'workspace:*' }, "import { sign } from '@ssb/keys'\n")
    const v = findViolations(dir) as string[]
    expect(v).toHaveLength(1)
    expect(v[0]).toMatch(/@ssb\/keys .* imports upper layer @ssb\/db/)
  })
})

#!/usr/bin/env node
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { findViolations } from './layers.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const violations = findViolations(root)
if (violations.length > 0) {
  console.error(`layer check failed (${violations.length}):\n` + violations.map((v) => `  - ${v}`).join('\n'))
  process.exit(1)
}
console.log('layer check: ok')

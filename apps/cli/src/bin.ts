#!/usr/bin/env node
import { main } from './main.js'

const code = await main({ argv: process.argv.slice(2), env: process.env })
if (code !== 'running') {
  process.exitCode = code
  // Streams piped to a closed reader (`| head`) must not keep us alive.
  setImmediate(() => process.exit(code))
}

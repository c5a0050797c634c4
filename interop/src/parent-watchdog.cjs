// Preloaded (`node -r`) into each reference ssb-server. The parent spawns it with an IPC
// channel; when the parent dies for any reason (crash, SIGKILL, vitest tearing down a worker)
// the channel closes and this exits the server — removing its temp dir, named by
// REFERENCE_TEMP_DIR — so no reference peer outlives its test run.
'use strict'
const fs = require('fs')

if (typeof process.send === 'function') {
  process.on('disconnect', () => {
    const dir = process.env.REFERENCE_TEMP_DIR
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
    process.exit(0)
  })
  // The channel must not keep the server alive by itself.
  if (process.channel && typeof process.channel.unref === 'function') process.channel.unref()
}

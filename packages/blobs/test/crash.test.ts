import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { openBlobStore } from '@ssb/blobs'
import { listBlobFiles, listTmp, makeTempDir } from './helpers.js'

test('a process killed mid-add leaves no visible blob; the next open deletes its temporary file', async () => {
  const { dir, cleanup } = await makeTempDir()
  try {
    const fixture = fileURLToPath(new URL('./fixtures/slow-add.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@ssb/source', fixture, dir], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = once(child, 'exit')
    const [line] = (await once(child.stdout!, 'data')) as [Buffer]
    expect(line.toString()).toBe('writing\n')
    child.kill('SIGKILL')
    await exited

    const tmp = await listTmp(dir)
    expect(tmp.length).toBe(1) // the half-written blob exists only in tmp/
    expect((await stat(join(dir, 'tmp', tmp[0]!))).size).toBeGreaterThan(0)
    expect(await listBlobFiles(dir)).toEqual([])

    const store = await openBlobStore({ dir })
    expect(await listTmp(dir)).toEqual([])
    expect(store.stats()).toEqual({ count: 0, totalBytes: 0 })
    await store.close()
  } finally {
    await cleanup()
  }
})

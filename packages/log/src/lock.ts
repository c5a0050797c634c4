import { randomBytes } from 'node:crypto'
import fsp from 'node:fs/promises'
import { join } from 'node:path'
import { LOCK_FILE } from './constants.js'
import { LogError } from './errors.js'

// Node has no flock(), so the lock is a file whose appearance is atomic: its content is written
// to a private temp file first and then hard-linked into place (link fails with EEXIST if a lock
// exists). A lock whose holder is dead (kill -9, power loss) is stale and taken over. The holder
// is identified by pid plus, on Linux, the boot id and the process start time in clock ticks since
// boot (immune to wall-clock steps), so neither a reused pid after a reboot nor a restarted
// container whose process got the same pid leaves the store unopenable.

interface LockInfo {
  pid: number
  /** performance.timeOrigin of the holding process: fixed for its lifetime. */
  startedAt: number
  token: string
  /** Linux /proc/sys/kernel/random/boot_id when the lock was taken. */
  bootId?: string
  /** Linux start time of the holder in clock ticks since boot (/proc/<pid>/stat field 22). */
  startTicks?: number
}

export interface DirLock {
  readonly path: string
  release(): Promise<void>
}

export interface LockEvents {
  onStaleLock?: (info: { pid: number; path: string }) => void
}

const MAX_ATTEMPTS = 5
/** A lock file we cannot parse is only treated as stale once it is this old (it may be mid-write elsewhere). */
const UNPARSABLE_STALE_MS = 10_000

export async function acquireLock(dir: string, events: LockEvents = {}): Promise<DirLock> {
  const path = join(dir, LOCK_FILE)
  const info: LockInfo = { pid: process.pid, startedAt: performance.timeOrigin, token: randomBytes(16).toString('hex') }
  const [bootId, startTicks] = await Promise.all([readBootId(), processStartTicks(process.pid)])
  if (bootId !== null) info.bootId = bootId
  if (startTicks !== null) info.startTicks = startTicks
  const content = JSON.stringify(info) + '\n'
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (await tryCreate(path, content)) return makeLock(path, info.token)
    let existing: string
    try {
      existing = await fsp.readFile(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw err
    }
    const holder = parseLock(existing)
    if (holder && (await isHolderAlive(holder))) {
      const who = holder.pid === process.pid ? 'this process (another openLog on the same dir)' : `process ${holder.pid}`
      throw new LogError('LOG_LOCKED', `log directory ${dir} is locked by ${who}; lock file ${path}`)
    }
    if (!holder && !(await isOldEnough(path))) {
      throw new LogError('LOG_LOCKED', `log directory ${dir} has a lock file being written (${path})`)
    }
    if (await removeStale(path, existing)) events.onStaleLock?.({ pid: holder?.pid ?? -1, path })
  }
  throw new LogError('LOG_LOCKED', `could not take the lock ${path} (contended)`)
}

async function tryCreate(path: string, content: string): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  await fsp.writeFile(tmp, content, { flag: 'wx' })
  try {
    await fsp.link(tmp, path)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err
    // Filesystems without hard links: exclusive create (content may be briefly empty).
    try {
      await fsp.writeFile(path, content, { flag: 'wx' })
      return true
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw e
    }
  } finally {
    await fsp.rm(tmp, { force: true })
  }
}

function parseLock(text: string): LockInfo | null {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>
    if (Number.isSafeInteger(v.pid) && (v.pid as number) > 0 && typeof v.startedAt === 'number' && typeof v.token === 'string') {
      return v as LockInfo
    }
  } catch {
    // fall through
  }
  return null
}

async function isHolderAlive(holder: LockInfo): Promise<boolean> {
  if (holder.pid === process.pid) return holder.startedAt === performance.timeOrigin
  if (holder.bootId !== undefined) {
    const bootId = await readBootId()
    if (bootId !== null && bootId !== holder.bootId) return false
  }
  try {
    process.kill(holder.pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false
    // EPERM: alive, owned by another user.
  }
  if (holder.startTicks !== undefined) {
    const ticks = await processStartTicks(holder.pid)
    if (ticks !== null && ticks !== holder.startTicks) return false
  }
  return true
}

async function readBootId(): Promise<string | null> {
  try {
    return (await fsp.readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim() || null
  } catch {
    return null
  }
}

/** Start time of a process in clock ticks since boot, from Linux /proc; null where unavailable. */
async function processStartTicks(pid: number): Promise<number | null> {
  try {
    const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8')
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) // field 22; fields[0] is field 3
    return Number.isSafeInteger(ticks) ? ticks : null
  } catch {
    return null
  }
}

async function isOldEnough(path: string): Promise<boolean> {
  try {
    return Date.now() - (await fsp.stat(path)).mtimeMs > UNPARSABLE_STALE_MS
  } catch {
    return true
  }
}

/**
 * Moves the stale lock aside under a unique name, then checks it is the one we judged stale: if a
 * competitor replaced it in between, we put theirs back (link never overwrites).
 */
async function removeStale(path: string, judged: string): Promise<boolean> {
  const aside = `${path}.stale.${process.pid}.${randomBytes(6).toString('hex')}`
  try {
    await fsp.rename(path, aside)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
  try {
    const moved = await fsp.readFile(aside, 'utf8')
    if (moved !== judged) {
      await fsp.link(aside, path).catch(() => undefined)
      return false
    }
    return true
  } finally {
    await fsp.rm(aside, { force: true })
  }
}

function makeLock(path: string, token: string): DirLock {
  let released = false
  return {
    path,
    async release() {
      if (released) return
      released = true
      try {
        const holder = parseLock(await fsp.readFile(path, 'utf8'))
        if (holder?.token === token) await fsp.rm(path, { force: true })
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
    },
  }
}

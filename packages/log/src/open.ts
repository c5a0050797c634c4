import fs from 'node:fs'
import fsp from 'node:fs/promises'
import { join } from 'node:path'
import { readCheckpoint } from './checkpoint.js'
import {
  CHECKPOINT_FILE,
  COMPACT_FILE,
  DATA_FILE,
  DEFAULT_CACHE_BYTES,
  DEFAULT_SYNC_READ_MS,
  DEFAULT_CHECKPOINT_BYTES,
  FILE_HEADER_BYTES,
  LOCK_FILE,
  MAX_OFFSET,
  MAX_RECORD_BYTES,
  NEW_FILE,
} from './constants.js'
import { LogError } from './errors.js'
import { DataFile, syncDir } from './file.js'
import { decodeFileHeader, encodeFileHeader, newFileId } from './file-header.js'
import { acquireLock } from './lock.js'
import { LogImpl } from './log.js'
import { LogFile } from './log-file.js'
import { ReadSlicer } from './read-slicer.js'
import { completePendingErase, verifyTail } from './recovery.js'
import type { Log, LogOptions } from './types.js'

function invalid(message: string): LogError {
  return new LogError('LOG_INVALID_ARGUMENT', message)
}

function checkOptions(opts: LogOptions): void {
  if (!opts || typeof opts.dir !== 'string' || opts.dir === '') throw invalid('openLog needs opts.dir')
  if (opts.sync !== undefined && opts.sync !== 'always' && opts.sync !== 'none') throw invalid(`sync must be 'always' or 'none'`)
  if (opts.syncReadMs !== undefined && !(typeof opts.syncReadMs === 'number' && opts.syncReadMs >= 0 && Number.isFinite(opts.syncReadMs))) {
    throw invalid('syncReadMs must be a non-negative number of milliseconds')
  }
  for (const key of ['initialOffset', 'cacheBytes', 'checkpointBytes'] as const) {
    const v = opts[key]
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0 || v > MAX_OFFSET)) throw invalid(`${key} must be a non-negative integer`)
  }
}

/** Opens (creating if needed) the log in `opts.dir`, taking the directory lock and repairing a torn tail. */
export async function openLog(opts: LogOptions): Promise<Log> {
  checkOptions(opts)
  try {
    return await open(opts)
  } catch (err) {
    if (err instanceof LogError) throw err
    throw new LogError('LOG_IO', `cannot open the log in ${opts.dir}: ${(err as Error).message}`, { cause: err })
  }
}

async function open(opts: LogOptions): Promise<Log> {
  const { dir } = opts
  await fsp.mkdir(dir, { recursive: true })
  const lock = await acquireLock(dir, {
    onStaleLock: ({ pid }) => opts.logger?.warn('took over stale log lock', { dir, pid }),
  })
  const files: DataFile[] = []
  try {
    await removeLeftovers(dir)
    const dataPath = join(dir, DATA_FILE)
    if (!fs.existsSync(dataPath)) await createDataFile(dir, opts.initialOffset ?? 0)
    const file = await DataFile.open(dataPath, 'r+')
    files.push(file)
    const headBytes = new Uint8Array(FILE_HEADER_BYTES)
    await file.read(headBytes, 0, FILE_HEADER_BYTES, 0)
    const header = decodeFileHeader(headBytes, dataPath)
    const lf = new LogFile(file, header, opts.cacheBytes ?? DEFAULT_CACHE_BYTES, new ReadSlicer(opts.syncReadMs ?? DEFAULT_SYNC_READ_MS))
    const checkpointFile = await DataFile.open(join(dir, CHECKPOINT_FILE), fs.constants.O_RDWR | fs.constants.O_CREAT)
    files.push(checkpointFile)
    // Erase relies on the checkpoint surviving power loss: make a new file's name durable.
    if ((await checkpointFile.size()) === 0) await syncDir(dir)

    const physicalEnd = lf.offsetAt(await file.size())
    const cp = await readCheckpoint(checkpointFile)
    const matches = cp !== null && Buffer.compare(cp.fileId, header.fileId) === 0 && cp.verifiedEnd >= lf.base
    const usable = matches && cp.verifiedEnd <= physicalEnd
    let completedErase = false
    if (usable && cp.pendingErase) completedErase = await completePendingErase(lf, cp.pendingErase, cp.verifiedEnd)
    const from = usable ? cp.verifiedEnd : lf.base
    const counts = usable ? { records: cp.records, erased: cp.erased } : { records: 0, erased: 0 }
    const scan = await verifyTail(dir, lf, from, counts, MAX_RECORD_BYTES, usable)
    let recovery = scan.recovery
    if (!recovery && matches && !usable) {
      // The checkpoint vouched for bytes that are gone: the file was cut short behind our back.
      recovery = {
        reason: 'missing-tail',
        truncatedAt: scan.end,
        droppedBytes: cp.verifiedEnd - scan.end,
        validFramesAfter: 0,
        savedTo: null,
        checkpointUsed: false,
      }
    }
    if (recovery) {
      opts.logger?.warn('log tail repaired on open', { dir, ...recovery })
      opts.onRecover?.(recovery)
    }
    const log = new LogImpl({
      dir,
      sync: opts.sync ?? 'always',
      lock,
      checkpointFile,
      current: lf,
      end: scan.end,
      records: scan.records,
      erased: scan.erased,
      checkpoint: { sequence: cp?.sequence ?? 0, verifiedEnd: usable ? cp.verifiedEnd : -1 },
      recovery,
      cacheBytes: opts.cacheBytes ?? DEFAULT_CACHE_BYTES,
      checkpointBytes: opts.checkpointBytes ?? DEFAULT_CHECKPOINT_BYTES,
    })
    if (scan.end !== from || !usable || completedErase) {
      // What we just verified may not have been fsynced before a crash: make it durable, then vouch for it.
      await file.datasync()
      await log.io.run(() => log.writeCheckpoint(null))
    }
    return log
  } catch (err) {
    await Promise.allSettled(files.map((f) => f.close()))
    await lock.release()
    throw err
  }
}

async function createDataFile(dir: string, initialOffset: number): Promise<void> {
  const tmp = join(dir, NEW_FILE)
  await fsp.rm(tmp, { force: true })
  const file = await DataFile.open(tmp, 'wx')
  try {
    const head = encodeFileHeader({ generation: 0, baseOffset: initialOffset, fileId: newFileId() })
    await file.write(head, 0, head.length, 0)
    await file.datasync()
  } finally {
    await file.close()
  }
  await fsp.rename(tmp, join(dir, DATA_FILE))
  await syncDir(dir)
}

/** Partial files of an interrupted create or compaction, and temp files of a killed lock attempt. */
async function removeLeftovers(dir: string): Promise<void> {
  await fsp.rm(join(dir, COMPACT_FILE), { force: true })
  await fsp.rm(join(dir, NEW_FILE), { force: true })
  const names = await fsp.readdir(dir)
  const cutoff = Date.now() - 60_000
  for (const name of names) {
    if (!name.startsWith(`${LOCK_FILE}.`)) continue
    const path = join(dir, name)
    const stat = await fsp.stat(path).catch(() => null)
    if (stat && stat.mtimeMs < cutoff) await fsp.rm(path, { force: true })
  }
}

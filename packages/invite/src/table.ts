import { randomBytes } from 'node:crypto'
import { open, readFile, rename, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type FeedId, generateKeys, isFeedId, type Keys } from '@ssb/keys'
import { EXHAUSTED_PERMISSIONS, INVITE_PERMISSIONS, MAX_INVITES, MAX_NOTE_LENGTH, MAX_TABLE_FILE_BYTES, MAX_USES } from './constants.js'
import { InviteError } from './errors.js'

/** One invite as the pub keeps it (ssb-invite's record plus `created`), keyed by the guest id. */
export interface InviteRecord {
  /** The guest id: the public key derived from the code's seed. */
  id: FeedId
  total: number
  used: number
  /** Copied into the pub's contact message for each guest (any JSON value). */
  note?: unknown
  /** What ssb-invite's auth hook grants the guest; emptied once the invite is used up. */
  permissions: { allow: string[]; deny: null }
  /** ms since the epoch. */
  created: number
}

export interface CreateInviteOptions {
  /** How many guests may use the code (default 1). */
  uses?: number
  note?: unknown
}

export interface CreatedInvite {
  /** The 32 bytes that go into the code; not stored. */
  seed: Uint8Array
  /** The guest key pair the seed yields (its id is the record's key). */
  guest: Keys
  record: InviteRecord
}

export interface InviteTableOptions {
  /** Invites kept at once (default MAX_INVITES). */
  maxInvites?: number
}

interface TableFile {
  version: 1
  invites: InviteRecord[]
}

/** The guest key pair for a seed: `crypto_sign_seed_keypair(seed)`, as ssb-keys' `generate('ed25519', seed)`. */
export function guestKeys(seed: Uint8Array): Keys {
  return generateKeys(seed)
}

function corrupt(file: string, why: string): InviteError {
  return new InviteError('INVITE_CORRUPT_TABLE', `invite table ${file}: ${why}`)
}

function checkUses(uses: unknown): number {
  if (uses === undefined || uses === null) return 1
  const n = typeof uses === 'string' && uses.trim() !== '' ? Number(uses) : uses
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_USES) {
    throw new InviteError('INVITE_BAD_OPTIONS', `uses must be an integer from 1 to ${MAX_USES}, got ${JSON.stringify(uses)}`)
  }
  return n
}

function checkNote(note: unknown): unknown {
  if (note === undefined) return undefined
  let text: string | undefined
  try {
    text = JSON.stringify(note)
  } catch {
    throw new InviteError('INVITE_BAD_OPTIONS', 'note must be JSON')
  }
  if (text === undefined) return undefined
  if (text.length > MAX_NOTE_LENGTH) throw new InviteError('INVITE_BAD_OPTIONS', `note is longer than ${MAX_NOTE_LENGTH} characters as JSON`)
  return JSON.parse(text) as unknown
}

function validRecord(r: unknown): r is InviteRecord {
  if (typeof r !== 'object' || r === null) return false
  const o = r as Record<string, unknown>
  const p = o.permissions as Record<string, unknown> | null | undefined
  return (
    isFeedId(o.id) &&
    Number.isInteger(o.total) && (o.total as number) >= 1 && (o.total as number) <= MAX_USES &&
    Number.isInteger(o.used) && (o.used as number) >= 0 && (o.used as number) <= (o.total as number) &&
    typeof o.created === 'number' &&
    typeof p === 'object' && p !== null && Array.isArray(p.allow) && p.allow.every((x) => typeof x === 'string')
  )
}

function copy(r: InviteRecord): InviteRecord {
  return structuredClone(r)
}

/**
 * The pub's invites, kept in one JSON file that is replaced atomically (temp file, fsync,
 * rename, fsync of the directory) on every change, so a crash leaves the old or the new table,
 * never a torn one. Changes run one at a time: `use` checks and counts under that lock, so
 * parallel guests cannot use an invite more often than it allows.
 */
export class InviteTable {
  readonly file: string
  readonly #max: number
  readonly #invites: Map<FeedId, InviteRecord>
  #queue: Promise<unknown> = Promise.resolve()
  #closed = false

  private constructor(file: string, invites: Map<FeedId, InviteRecord>, opts: InviteTableOptions) {
    this.file = file
    this.#invites = invites
    this.#max = opts.maxInvites ?? MAX_INVITES
  }

  /** Reads `file` (a missing file is an empty table). Throws INVITE_CORRUPT_TABLE for anything else unreadable. */
  static async open(file: string, opts: InviteTableOptions = {}): Promise<InviteTable> {
    const invites = new Map<FeedId, InviteRecord>()
    let text: string | undefined
    try {
      const s = await stat(file)
      if (s.size > MAX_TABLE_FILE_BYTES) throw corrupt(file, `larger than ${MAX_TABLE_FILE_BYTES} bytes`)
      text = await readFile(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err instanceof InviteError ? err : corrupt(file, (err as Error).message)
    }
    if (text !== undefined) {
      let data: unknown
      try {
        data = JSON.parse(text)
      } catch {
        throw corrupt(file, 'not JSON')
      }
      const t = data as Partial<TableFile> | null
      if (!t || t.version !== 1 || !Array.isArray(t.invites)) throw corrupt(file, 'expected {"version": 1, "invites": [...]}')
      for (const r of t.invites) {
        if (!validRecord(r)) throw corrupt(file, `bad record ${JSON.stringify(r).slice(0, 120)}`)
        invites.set(r.id, r)
      }
    }
    return new InviteTable(file, invites, opts)
  }

  /** Invites stored (used up ones included). */
  get size(): number {
    return this.#invites.size
  }

  /** Invites with uses left. */
  get usable(): number {
    let n = 0
    for (const r of this.#invites.values()) if (r.used < r.total) n++
    return n
  }

  /** A copy of the record for a guest id. */
  get(id: string): InviteRecord | undefined {
    const r = this.#invites.get(id as FeedId)
    return r && copy(r)
  }

  /** Whether a guest id belongs to an invite with uses left (ssb-invite's auth hook test). */
  canUse(id: string): boolean {
    const r = this.#invites.get(id as FeedId)
    return r !== undefined && r.used < r.total
  }

  /**
   * Makes a new invite: a random seed, the guest key pair it yields, and a stored record.
   * Resolves once the record is on disk. When the table is full, used-up invites are dropped
   * (oldest first); if none are, INVITE_TABLE_FULL.
   */
  create(opts: CreateInviteOptions = {}): Promise<CreatedInvite> {
    let total: number
    let note: unknown
    try {
      total = checkUses(opts.uses)
      note = checkNote(opts.note)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#locked(async () => {
      this.#makeRoom()
      const seed = new Uint8Array(randomBytes(32))
      const guest = guestKeys(seed)
      const record: InviteRecord = {
        id: guest.id,
        total,
        used: 0,
        ...(note === undefined ? {} : { note }),
        permissions: { allow: [...INVITE_PERMISSIONS.allow], deny: null },
        created: Date.now(),
      }
      this.#invites.set(record.id, record)
      try {
        await this.#persist()
      } catch (err) {
        this.#invites.delete(record.id)
        throw err
      }
      return { seed, guest, record: copy(record) }
    })
  }

  /**
   * Counts one use of the guest's invite: INVITE_UNKNOWN if there is none, INVITE_EXPIRED if it
   * is used up. `check` runs first under the same lock (the pub's own refusals, e.g. "already
   * following"); if it throws, nothing is counted. Resolves with the updated record once stored.
   */
  use(id: string, check?: (record: InviteRecord) => void | Promise<void>): Promise<InviteRecord> {
    return this.#locked(async () => {
      const r = this.#invites.get(id as FeedId)
      if (!r) throw new InviteError('INVITE_UNKNOWN', `no invite for ${id}`)
      if (check) await check(copy(r))
      if (r.used >= r.total) throw new InviteError('INVITE_EXPIRED', 'invite has expired')
      const before = copy(r)
      r.used += 1
      if (r.used >= r.total) r.permissions = { allow: [...EXHAUSTED_PERMISSIONS.allow], deny: null }
      try {
        await this.#persist()
      } catch (err) {
        this.#invites.set(id as FeedId, before)
        throw err
      }
      return copy(r)
    })
  }

  /** Waits for pending writes; later calls fail with INVITE_CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#queue.catch(() => {})
  }

  #makeRoom(): void {
    if (this.#invites.size < this.#max) return
    const spent = [...this.#invites.values()].filter((r) => r.used >= r.total).sort((a, b) => a.created - b.created)
    for (const r of spent) {
      if (this.#invites.size < this.#max) break
      this.#invites.delete(r.id)
    }
    if (this.#invites.size >= this.#max) {
      throw new InviteError('INVITE_TABLE_FULL', `${this.#invites.size} unused invites exist already (limit ${this.#max})`)
    }
  }

  #locked<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new InviteError('INVITE_CLOSED', 'the invite table is closed'))
    const run = this.#queue.then(fn, fn)
    this.#queue = run.catch(() => {})
    return run
  }

  async #persist(): Promise<void> {
    const data: TableFile = { version: 1, invites: [...this.#invites.values()] }
    const tmp = `${this.file}.tmp`
    const fh = await open(tmp, 'w', 0o600)
    try {
      await fh.writeFile(JSON.stringify(data))
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, this.file)
    await syncDir(dirname(this.file))
  }
}

async function syncDir(dir: string): Promise<void> {
  let fh
  try {
    fh = await open(dir, 'r')
    await fh.sync()
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  } finally {
    await fh?.close()
  }
}

/** Opens (or starts) the invite table kept in `file`. */
export function openInviteTable(file: string, opts: InviteTableOptions = {}): Promise<InviteTable> {
  return InviteTable.open(file, opts)
}

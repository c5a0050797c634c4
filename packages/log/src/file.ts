import fs from 'node:fs'

/** Uninitialised bytes as a plain Uint8Array (so .slice() copies, unlike Buffer#slice). */
export function allocBytes(length: number): Uint8Array {
  const b = Buffer.allocUnsafe(length)
  return new Uint8Array(b.buffer, b.byteOffset, length)
}

function call<T>(fn: (cb: (err: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))))
}

/**
 * A raw file descriptor with positioned I/O. Positions are JS numbers (exact to 2^53), so there is
 * no 4 GiB ceiling. close() waits for reads and writes in flight, so a descriptor number is never
 * closed (and reused by the OS) under a pending operation.
 */
export class DataFile {
  private inflight = 0
  private drained: (() => void) | null = null
  private closed = false

  private constructor(
    readonly fd: number,
    readonly path: string,
  ) {}

  static async open(path: string, flags: string | number): Promise<DataFile> {
    const fd = await call<number>((cb) => fs.open(path, flags, 0o644, cb))
    return new DataFile(fd, path)
  }

  private assertOpen(): void {
    if (this.closed) throw Object.assign(new Error(`file closed: ${this.path}`), { code: 'EBADF' })
  }

  private async track<T>(op: () => Promise<T>): Promise<T> {
    this.assertOpen()
    this.inflight++
    try {
      return await op()
    } finally {
      if (--this.inflight === 0 && this.drained) this.drained()
    }
  }

  /** Reads up to `length` bytes at `position`; fewer only at end of file. */
  read(target: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return this.track(async () => {
      let done = 0
      while (done < length) {
        const n = await call<number>((cb) => fs.read(this.fd, target, offset + done, length - done, position + done, cb))
        if (n === 0) break
        done += n
      }
      return done
    })
  }

  /**
   * `read`, synchronously: a read served from the page cache costs a few µs this way against
   * some 30 µs of thread-pool hand-off, but one that has to wait for the disk blocks the thread.
   */
  readSync(target: Uint8Array, offset: number, length: number, position: number): number {
    this.assertOpen()
    let done = 0
    while (done < length) {
      const n = fs.readSync(this.fd, target, offset + done, length - done, position + done)
      if (n === 0) break
      done += n
    }
    return done
  }

  /** Reads into the buffers back to back from `position`; fewer bytes only at end of file. */
  readv(buffers: Uint8Array[], position: number): Promise<number> {
    return this.track(() => call<number>((cb) => fs.readv(this.fd, buffers, position, cb)))
  }

  /** `readv`, synchronously (see readSync). */
  readvSync(buffers: Uint8Array[], position: number): number {
    this.assertOpen()
    return fs.readvSync(this.fd, buffers, position)
  }

  /** Writes all of source[offset, offset+length) at `position`. */
  write(source: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    return this.track(async () => {
      let done = 0
      while (done < length) {
        const n = await call<number>((cb) => fs.write(this.fd, source, offset + done, length - done, position + done, cb))
        done += n
      }
    })
  }

  /** Writes the buffers back to back starting at `position`, in one syscall when the OS allows. */
  writev(buffers: Uint8Array[], position: number): Promise<void> {
    return this.track(async () => {
      let pending = buffers.filter((b) => b.length > 0)
      let pos = position
      while (pending.length > 0) {
        let n = await call<number>((cb) => fs.writev(this.fd, pending, pos, cb))
        pos += n
        while (pending.length > 0 && n >= pending[0]!.length) n -= pending.shift()!.length
        if (n > 0) pending[0] = pending[0]!.subarray(n)
      }
    })
  }

  datasync(): Promise<void> {
    return this.track(() => call<void>((cb) => fs.fdatasync(this.fd, (err) => cb(err, undefined))))
  }

  sync(): Promise<void> {
    return this.track(() => call<void>((cb) => fs.fsync(this.fd, (err) => cb(err, undefined))))
  }

  truncate(length: number): Promise<void> {
    return this.track(() => call<void>((cb) => fs.ftruncate(this.fd, length, (err) => cb(err, undefined))))
  }

  size(): Promise<number> {
    return this.track(async () => (await call<fs.Stats>((cb) => fs.fstat(this.fd, cb))).size)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.inflight > 0) await new Promise<void>((resolve) => (this.drained = resolve))
    await call<void>((cb) => fs.close(this.fd, (err) => cb(err, undefined)))
  }
}

/** fsync a directory so a create, rename or unlink in it survives power loss. */
export async function syncDir(dir: string): Promise<void> {
  const fd = await call<number>((cb) => fs.open(dir, 'r', cb))
  try {
    await call<void>((cb) => fs.fsync(fd, (err) => cb(err, undefined)))
  } catch (err) {
    // Some filesystems refuse fsync on a directory (EINVAL/EISDIR); there is nothing more we can do.
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw err
  } finally {
    await call<void>((cb) => fs.close(fd, (err) => cb(err, undefined)))
  }
}

// Exact-length reads from stdin for the shs1-test executables.
export function readStdin(length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin
    const onReadable = (): void => {
      const chunk = stdin.read(length) as Buffer | null
      if (chunk === null) return
      cleanup()
      if (chunk.length < length) reject(new Error('stdin ended early'))
      else resolve(chunk)
    }
    const onEnd = (): void => {
      cleanup()
      reject(new Error('stdin ended early'))
    }
    const cleanup = (): void => {
      stdin.off('readable', onReadable)
      stdin.off('end', onEnd)
    }
    stdin.on('readable', onReadable)
    stdin.on('end', onEnd)
    onReadable()
  })
}

/** Writes, then exits once stdout has flushed. */
export function writeAndExit(bytes: Uint8Array): void {
  process.stdout.write(bytes, () => process.exit(0))
}

/** The suite requires a non-zero exit and no further output when the peer misbehaves. */
export function fail(err: unknown): never {
  process.stderr.write(`${err instanceof Error ? `${err.name} ${(err as { code?: string }).code ?? ''}: ${err.message}` : String(err)}\n`)
  process.exit(1)
}

/** Where the CLI writes; injectable so tests can capture output. */
export interface Io {
  out(text: string): void
  err(text: string): void
  /** Writes honouring backpressure (long streams piped into `head`, files, …). */
  write(chunk: string | Uint8Array): Promise<void>
  isTTY: boolean
  stdinIsTTY: boolean
  /** What is piped in (blobs.add, or a JSON argument given as `.`). */
  stdin(): AsyncIterable<Uint8Array>
}

export const processIo: Io = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  write: (chunk) =>
    new Promise((resolve, reject) => {
      if (process.stdout.write(chunk)) resolve()
      else {
        process.stdout.once('drain', resolve)
        process.stdout.once('error', reject)
      }
    }),
  isTTY: process.stdout.isTTY === true,
  stdinIsTTY: process.stdin.isTTY === true,
  stdin: () => process.stdin,
}

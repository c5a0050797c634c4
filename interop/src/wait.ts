// Bounded waiting for things that have no event to await (a remote process's state): poll a
// condition at an interval, give up after a deadline with a message that says what was awaited.
import { setTimeout as delay } from 'node:timers/promises'

export interface PollOptions {
  what: string
  /** Give up after this long (default 30 s). */
  timeoutMs?: number
  /** Pause between checks (default 50 ms). */
  intervalMs?: number
  /** Describes the last observed state in the timeout error. */
  describe?: () => string | Promise<string>
}

/** Resolves with the first truthy result of `check`; rejects with its error or on timeout. */
export async function pollUntil<T>(check: () => T | Promise<T>, opts: PollOptions): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000)
  for (;;) {
    const result = await check()
    if (result) return result as NonNullable<T>
    if (Date.now() >= deadline) {
      const state = opts.describe ? `: ${await opts.describe()}` : ''
      throw new Error(`timed out waiting for ${opts.what}${state}`)
    }
    await delay(opts.intervalMs ?? 50)
  }
}

/** Rejects if `promise` does not settle within `ms` (resolves as soon as it does). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)
  })
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer))
}

import type { Socket } from 'node:net'

/** A config value as a number (`"8008"` → 8008), or `fallback` when absent or not numeric. */
export function toNumber(v: unknown, fallback: number): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
  return typeof n === 'number' && Number.isFinite(n) ? n : fallback
}

/**
 * Resolves once a dialled socket has connected; rejects with its error, or, given `timeout`,
 * destroys it and rejects with `timeout.message` after `timeout.ms`.
 */
export function whenConnected(socket: Socket, timeout?: { ms: number; message: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = timeout && setTimeout(() => {
      socket.off('connect', onConnect)
      socket.destroy()
      reject(new Error(timeout.message))
    }, timeout.ms)
    const onError = (err: Error): void => {
      clearTimeout(timer)
      socket.off('connect', onConnect)
      reject(err)
    }
    const onConnect = (): void => {
      clearTimeout(timer)
      socket.off('error', onError)
      resolve()
    }
    socket.once('error', onError)
    socket.once('connect', onConnect)
  })
}

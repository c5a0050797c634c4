/** `count` distinct TCP ports on 127.0.0.1 that were free a moment ago (all held open together, then released). */
export function freePorts(count: number): Promise<number[]>
/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it), for tests. */
export function freePort(): Promise<number>

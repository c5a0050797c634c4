/**
 * Size of the block whose release raises glibc's thresholds: just under glibc's largest dynamic
 * mmap threshold (32 MiB on 64-bit), so the threshold becomes ~32 MiB and the trim threshold,
 * twice that, ~64 MiB.
 */
export const MALLOC_THRESHOLD_BLOCK_BYTES = 32 * 1024 * 1024 - 64 * 1024

/**
 * Makes glibc's malloc keep freed memory for reuse instead of handing it back to the kernel at
 * once, for a process that runs the server (`ssb-server start` calls this; libraries never do).
 *
 * Why: a transfer's buffers (a blob's decrypted chunks, read blocks) are freed by V8 in bulk
 * when it collects them. With glibc's default thresholds that frees enough at the heap's top for
 * glibc to trim it (return it to the kernel), so the next transfer's buffers touch fresh pages:
 * a page fault per 4 KiB, ~13 µs each on the 2-core VMs this project is measured on, which was
 * a third of a receiving server's main-thread time per blob. glibc raises its mmap threshold to
 * the size of any mmap'd block freed (up to 32 MiB), and its trim threshold to twice that, so
 * allocating one such block and letting it go does what
 * `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=…:glibc.malloc.trim_threshold=…` would, for this
 * process. The block is never touched, so it only ever costs address space; it is freed at the
 * next GC. Memory a burst freed stays with the process (up to ~64 MiB at the heap's top) and is
 * reused by the next one.
 *
 * Does nothing off Linux, or when GLIBC_TUNABLES already sets a malloc tunable (the user's
 * choice wins: `GLIBC_TUNABLES=glibc.malloc.trim_threshold=131072` restores glibc's default).
 * On a non-glibc Linux (musl) the block is just allocated and freed. Returns whether it ran.
 */
export function keepFreedMemoryForReuse(
  env: Record<string, string | undefined>,
  platform: NodeJS.Platform = process.platform,
  // allocUnsafeSlow: malloc'd, not zero-filled, not pooled, so freed (by V8) as one block.
  allocate: (bytes: number) => unknown = Buffer.allocUnsafeSlow,
): boolean {
  if (platform !== 'linux') return false
  if (env.GLIBC_TUNABLES?.includes('glibc.malloc.')) return false
  allocate(MALLOC_THRESHOLD_BLOCK_BYTES)
  return true
}

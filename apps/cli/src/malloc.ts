/**
 * Size of the block whose release raises glibc's thresholds: just under glibc's largest dynamic
 * mmap threshold (32 MiB on 64-bit), so the threshold becomes ~32 MiB and the trim threshold,
 * twice that, ~64 MiB.
 */
export const MALLOC_THRESHOLD_BLOCK_BYTES = 32 * 1024 * 1024 - 64 * 1024

/** Above glibc's largest mmap threshold, so always fresh pages from the kernel. */
const PROBE_BLOCK_BYTES = 40 * 1024 * 1024
/** Pages touched to time a page fault: 256. */
const PROBE_TOUCH_BYTES = 1024 * 1024
const PAGE_BYTES = 4096

/**
 * Page faults costlier than this (µs per 4 KiB page) make keeping freed memory worth its RSS.
 * Measured: ~13 µs on the 2-core Firecracker VMs this project runs on; bare metal and most
 * VMs take well under 2 µs, where re-faulting a transfer's buffers costs little.
 */
export const EXPENSIVE_PAGE_FAULT_MICROS = 5

/**
 * Times first touches of fresh memory: µs per page fault, on this machine now. Touches 1 MiB
 * of a block that only ever costs address space beyond that, and is freed at the next GC.
 */
export function measurePageFaultMicros(): number {
  const block = Buffer.allocUnsafeSlow(PROBE_BLOCK_BYTES)
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < PROBE_TOUCH_BYTES; i += PAGE_BYTES) block[i] = 1
  return Number(process.hrtime.bigint() - t0) / 1000 / (PROBE_TOUCH_BYTES / PAGE_BYTES)
}

export interface MallocChoice {
  /** Whether the thresholds were raised (memory freed in bulk is kept for reuse). */
  keep: boolean
  /** Why, for the log. */
  reason: string
}

/**
 * For a process that runs the server (`ssb-server start` calls this; libraries never do): makes
 * glibc's malloc keep memory freed in bulk for reuse, where page faults are expensive.
 *
 * Why: a transfer's buffers (a blob's decrypted chunks, read blocks) are freed by V8 in bulk
 * when it collects them. With glibc's default thresholds that frees enough at the heap's top for
 * glibc to trim it (return it to the kernel), so the next transfer's buffers touch fresh pages:
 * a page fault per 4 KiB. On the VMs this project is measured on a fault costs ~13 µs, and those
 * faults were a third of a receiving server's main-thread time per blob. glibc raises its mmap
 * threshold to the size of any mmap'd block freed (up to 32 MiB), and its trim threshold to
 * twice that, so allocating one such block (never touched) and letting it go does what
 * `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=…:glibc.malloc.trim_threshold=…` would, for this
 * process. The price is memory kept after bursts (~15 MB more RSS after a run of blob
 * transfers, ~10 % more peak RSS in a replication run), so it is only paid where faults cost at
 * least EXPENSIVE_PAGE_FAULT_MICROS (timed at start with `measure`).
 *
 * Nothing happens off Linux, or when GLIBC_TUNABLES already sets a malloc tunable (the user's
 * choice wins: `glibc.malloc.trim_threshold=131072` keeps glibc's default; setting the two
 * thresholds keeps memory whatever faults cost). On a non-glibc Linux (musl) the block is just
 * allocated and freed.
 */
export function keepFreedMemoryIfFaultsAreCostly(
  env: Record<string, string | undefined>,
  platform: NodeJS.Platform = process.platform,
  measure: () => number = measurePageFaultMicros,
  // allocUnsafeSlow: malloc'd, not zero-filled, not pooled, so freed (by V8) as one block.
  allocate: (bytes: number) => unknown = Buffer.allocUnsafeSlow,
): MallocChoice {
  if (platform !== 'linux') return { keep: false, reason: 'not Linux' }
  if (env.GLIBC_TUNABLES?.includes('glibc.malloc.')) return { keep: false, reason: 'GLIBC_TUNABLES sets malloc tunables' }
  const micros = measure()
  const cost = `page faults cost ${micros.toFixed(1)} µs`
  if (!(micros >= EXPENSIVE_PAGE_FAULT_MICROS)) return { keep: false, reason: `${cost} (< ${EXPENSIVE_PAGE_FAULT_MICROS})` }
  allocate(MALLOC_THRESHOLD_BLOCK_BYTES)
  return { keep: true, reason: `${cost} (≥ ${EXPENSIVE_PAGE_FAULT_MICROS}): malloc keeps freed memory for reuse` }
}

/**
 * Size of the block whose release raises glibc's thresholds: just under glibc's largest dynamic
 * mmap threshold (32 MiB on 64-bit), so the threshold becomes ~32 MiB and the trim threshold,
 * twice that, ~64 MiB.
 */
export const MALLOC_THRESHOLD_BLOCK_BYTES = 32 * 1024 * 1024 - 64 * 1024

/** Pages timed per probe run, at the start of the block; the best of PROBE_RUNS runs counts. */
const PROBE_PAGES = 16
const PROBE_RUNS = 4
const PAGE_BYTES = 4096

/**
 * Page faults costlier than this (µs per 4 KiB page) make keeping freed memory worth its RSS.
 * Measured: ~13 µs on the 2-core Firecracker VMs this project runs on; bare metal and most
 * VMs take well under 2 µs, where re-faulting a transfer's buffers costs little.
 */
export const EXPENSIVE_PAGE_FAULT_MICROS = 5

/**
 * Times first touches of pages of `block` (fresh memory, e.g. a block just allocated): µs per
 * page fault, the best of PROBE_RUNS runs of PROBE_PAGES pages (so one preemption cannot make
 * faults look costly). Touches PROBE_RUNS × PROBE_PAGES pages (256 KiB) from its start.
 */
export function measurePageFaultMicros(block: Uint8Array): number {
  let best = Infinity
  for (let run = 0; run < PROBE_RUNS; run++) {
    const from = run * PROBE_PAGES * PAGE_BYTES
    const t0 = process.hrtime.bigint()
    for (let i = from; i < from + PROBE_PAGES * PAGE_BYTES && i < block.length; i += PAGE_BYTES) block[i] = 1
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1000 / PROBE_PAGES)
  }
  return best
}

/**
 * Probe blocks kept for the life of the process where faults are cheap: glibc must never see
 * them freed, since freeing one is what raises its thresholds.
 */
const keptBlocks: unknown[] = []

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
 * twice that, so allocating one such block and letting it go does what
 * `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=…:glibc.malloc.trim_threshold=…` would, for this
 * process. The price is memory kept after bursts (~15 MB more RSS after a run of blob
 * transfers, ~10 % more peak RSS in a replication run), so it is only paid where faults cost at
 * least EXPENSIVE_PAGE_FAULT_MICROS: the block's first pages are timed (`measure`) and, where
 * faults are cheap, the block is kept for the life of the process instead (256 KiB resident,
 * the rest only address space), so glibc's thresholds stay as they were. (The probe has to be
 * that block: freeing any other block as large would raise the thresholds too, and with a
 * separate 40 MiB probe allocated first the block stopped taking effect in a running server,
 * measured: 72 MiB of external memory at once makes V8 collect early, and the block, still
 * referenced then, was freed only much later.)
 *
 * Nothing happens off Linux, or when GLIBC_TUNABLES already sets a malloc tunable (the user's
 * choice wins: `glibc.malloc.trim_threshold=131072` keeps glibc's default; setting the two
 * thresholds keeps memory whatever faults cost). On a non-glibc Linux (musl) the block is just
 * allocated and freed.
 */
export function keepFreedMemoryIfFaultsAreCostly(
  env: Record<string, string | undefined>,
  platform: NodeJS.Platform = process.platform,
  // allocUnsafeSlow: malloc'd, not zero-filled, not pooled, so freed (by V8) as one block.
  allocate: (bytes: number) => Uint8Array = (bytes) => Buffer.allocUnsafeSlow(bytes),
  measure: (block: Uint8Array) => number = measurePageFaultMicros,
): MallocChoice {
  if (platform !== 'linux') return { keep: false, reason: 'not Linux' }
  if (env.GLIBC_TUNABLES?.includes('glibc.malloc.')) return { keep: false, reason: 'GLIBC_TUNABLES sets malloc tunables' }
  const block = allocate(MALLOC_THRESHOLD_BLOCK_BYTES)
  const micros = measure(block)
  const cost = `page faults cost ${micros.toFixed(1)} µs`
  if (!(micros >= EXPENSIVE_PAGE_FAULT_MICROS)) {
    keptBlocks.push(block)
    return { keep: false, reason: `${cost} (< ${EXPENSIVE_PAGE_FAULT_MICROS})` }
  }
  return { keep: true, reason: `${cost} (≥ ${EXPENSIVE_PAGE_FAULT_MICROS}): malloc keeps freed memory for reuse` }
}

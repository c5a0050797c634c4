// pnpm bench (in packages/db): @ssb/db and ssb-db 20.4.1 side by side on the same generated
// data, each scenario in its own process (peak RSS per scenario). Prints a table and writes
// bench-results/db.json at the repo root.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BIG_FEEDS, BIG_PER_FEED, CACHE_DIR, INGEST_FEEDS, INGEST_PER_FEED, bigStoreDir } from './fixtures.js'

const here = fileURLToPath(new URL('.', import.meta.url))
const repoRoot = resolve(here, '../../..')
const INGEST_N = INGEST_FEEDS * INGEST_PER_FEED
/** ssb-db ingests ~1-3k msg/s here; 20k keeps its part to a minute or so (--ssb-db-messages=N). */
const SSB_DB_N = Number(process.argv.find((a) => a.startsWith('--ssb-db-messages='))?.split('=')[1] ?? 20_000)
/** A feed that has INGEST_PER_FEED messages in the first SSB_DB_N of the fixture. */
const QUERY_FEED = 7
/** Signature threads `ssb-server start` uses on this machine (one per spare core, at most two). */
const SERVER_WORKERS = Math.min(2, Math.max(0, availableParallelism() - 1))

type Result = Record<string, number>

function scenario(...args: string[]): Promise<Result> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@ssb/source', join(here, 'scenario.ts'), ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? ''
      if (code !== 0) return reject(new Error(`scenario ${args.join(' ')} exited with ${code}`))
      resolvePromise(JSON.parse(line) as Result)
    })
  })
}

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`)
}

await mkdir(CACHE_DIR, { recursive: true })
const results: Record<string, Result> = {}
const run = async (key: string, ...args: string[]): Promise<Result> => {
  log(`${key} …`)
  const r = await scenario(...args)
  results[key] = r
  log(`${key}: ${JSON.stringify(r)}`)
  return r
}

if (!existsSync(bigStoreDir())) {
  log(`building the ${BIG_FEEDS * BIG_PER_FEED} message store once (cached in ${CACHE_DIR}; takes a few minutes)`)
  await run('build', 'build-big')
}
const work = await mkdtemp(join(CACHE_DIR, 'run-'))
try {
  await run('baseline', 'baseline')
  const oursSmall = join(work, 'ours-small')
  const ssbSmall = join(work, 'ssb-db-small')
  await run('ingest100k', 'ingest', String(INGEST_N), '0')
  await run('ingest100kWorkers', 'ingest', String(INGEST_N), String(SERVER_WORKERS))
  await run('oursIngestSmallWorkers', 'ingest', String(SSB_DB_N), String(SERVER_WORKERS))
  await run('oursIngestSmall', 'ingest', String(SSB_DB_N), '0', oursSmall)
  await run('ssbIngestSmall', 'ssb-db-ingest', String(SSB_DB_N), ssbSmall)
  await run('oursOpenSmall', 'open', oursSmall)
  await run('ssbOpenSmall', 'ssb-db-open', ssbSmall)
  await run('oursReindexSmall', 'reindex', oursSmall)
  await run('ssbReindexSmall', 'ssb-db-reindex', ssbSmall)
  await run('oursQueriesSmall', 'queries', oursSmall, String(QUERY_FEED))
  await run('ssbQueriesSmall', 'ssb-db-queries', String(QUERY_FEED), ssbSmall)
  await run('reindexBig', 'reindex', bigStoreDir())
  await run('openBigFirst', 'open', bigStoreDir()) // replays LevelDB's write-ahead log of the rebuild
  await run('openBig', 'open', bigStoreDir())
  await run('queriesBig', 'queries', bigStoreDir(), String(QUERY_FEED))
} finally {
  await rm(work, { recursive: true, force: true })
}

const r = results
const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(1)}×` : '')
const rows: Array<[string, string, string, string, string]> = [
  ['scenario', '@ssb/db', 'ssb-db 20.4.1', 'ours vs ssb-db', 'target'],
  [`ingest ${INGEST_N} msgs / ${INGEST_FEEDS} feeds (validated on the calling thread, msg/s)`, String(r.ingest100k!.msgPerSec), '', '', '≥ 15,000'],
  [`  same, batchWorkers: ${SERVER_WORKERS}, the server's default here (msg/s)`, String(r.ingest100kWorkers!.msgPerSec), '', '', '≥ 15,000'],
  [`ingest ${SSB_DB_N} msgs, same data (msg/s)`, String(r.oursIngestSmall!.msgPerSec), String(r.ssbIngestSmall!.msgPerSec), ratio(r.oursIngestSmall!.msgPerSec!, r.ssbIngestSmall!.msgPerSec!), '≥ 10×'],
  [`  same, batchWorkers: ${SERVER_WORKERS} (msg/s)`, String(r.oursIngestSmallWorkers!.msgPerSec), String(r.ssbIngestSmall!.msgPerSec), ratio(r.oursIngestSmallWorkers!.msgPerSec!, r.ssbIngestSmall!.msgPerSec!), '≥ 10×'],
  [`  peak RSS (MiB)`, String(r.oursIngestSmall!.maxRssMiB), String(r.ssbIngestSmall!.maxRssMiB), '', ''],
  [`cold open ${SSB_DB_N}, to first query (ms)`, String(r.oursOpenSmall!.firstQueryMs), String(r.ssbOpenSmall!.firstQueryMs), ratio(r.ssbOpenSmall!.firstQueryMs!, r.oursOpenSmall!.firstQueryMs!) + ' faster', ''],
  [`full reindex ${SSB_DB_N} (ms)`, String(r.oursReindexSmall!.reindexMs), String(r.ssbReindexSmall!.reindexMs), ratio(r.ssbReindexSmall!.reindexMs!, r.oursReindexSmall!.reindexMs!) + ' faster', ''],
  [`createHistoryStream, 1 feed (${r.oursQueriesSmall!.historyCount} msgs, warm, ms)`, String(r.oursQueriesSmall!.historyMs), String(r.ssbQueriesSmall!.historyMs), ratio(r.ssbQueriesSmall!.historyMs!, r.oursQueriesSmall!.historyMs!) + ' faster', ''],
  ['messagesByType vote, first 100 (warm, ms)', String(r.oursQueriesSmall!.byType100Ms), String(r.ssbQueriesSmall!.byType100Ms), ratio(r.ssbQueriesSmall!.byType100Ms!, r.oursQueriesSmall!.byType100Ms!) + ' faster', ''],
  ['messagesByType vote, latest 100 (warm, ms)', String(r.oursQueriesSmall!.byTypeLatest100Ms), String(r.ssbQueriesSmall!.byTypeLatest100Ms), ratio(r.ssbQueriesSmall!.byTypeLatest100Ms!, r.oursQueriesSmall!.byTypeLatest100Ms!) + ' faster', ''],
  [`messagesByType contact, all keys (${r.oursQueriesSmall!.contactCount}, ms)`, String(r.oursQueriesSmall!.contactKeysMs), String(r.ssbQueriesSmall!.contactKeysMs), ratio(r.ssbQueriesSmall!.contactKeysMs!, r.oursQueriesSmall!.contactKeysMs!) + ' faster', ''],
  [`cold open ${BIG_FEEDS * BIG_PER_FEED}, to first query (ms)`, String(r.openBig!.firstQueryMs), '', '', '< 1,000'],
  ['  first open right after the rebuild (ms)', String(r.openBigFirst!.firstQueryMs), '', '', ''],
  [`full reindex ${BIG_FEEDS * BIG_PER_FEED} (ms)`, String(r.reindexBig!.reindexMs), '', '', '< 15,000'],
  ['  peak RSS of the reindex (MiB)', String(r.reindexBig!.maxRssMiB), '', '', '< 300'],
  [`createHistoryStream, 1 feed of the 1M store (${r.queriesBig!.historyCount} msgs, warm, ms)`, String(r.queriesBig!.historyMs), '', '', ''],
  ['messagesByType vote on 1M, first / latest 100 (ms)', `${r.queriesBig!.byType100Ms} / ${r.queriesBig!.byTypeLatest100Ms}`, '', '', ''],
  ['peak RSS, queries on the 1M store (MiB)', String(r.queriesBig!.maxRssMiB), '', '', '< 300'],
]
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
const line = (row: string[]): string => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')
console.log(line(rows[0]!))
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'))
for (const row of rows.slice(1)) console.log(line(row))
console.log(`\nmachine: Ed25519 verify ${r.baseline!.verifyPerSec}/s on one thread (~26,000/s on an idle core); ` +
  `process floor (node + tsx + @ssb/db loaded): ${r.baseline!.maxRssMiB} MiB RSS, included in every RSS above.`)
console.log(`ssb-db ran on the first ${SSB_DB_N} of the ${INGEST_N} messages (it is too slow for all of them in this run); ` +
  'page cache was warm for every "cold" open (no root to drop caches).')

const outDir = join(repoRoot, 'bench-results')
await mkdir(outDir, { recursive: true })
await writeFile(join(outDir, 'db.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ssbDbMessages: SSB_DB_N, results }, null, 2) + '\n')
console.log(`wrote ${join(outDir, 'db.json')}`)

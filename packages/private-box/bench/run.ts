// private-box throughput vs ssb-keys 8.5.0 on the same messages: box, unbox as a recipient, and
// the "not for me" unbox (the hot path when indexing other people's private messages).
// Prints a table and writes bench-results/private-box.json at the repo root.
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { generateKeys, keysToJSON } from '@ssb/keys'
import { boxContent, createUnboxer, unboxContent } from '../src/index.js'

interface SsbKeysJs {
  box(content: unknown, recps: string[]): string
  unbox(boxed: string, keys: object): unknown
}
const ssbKeys = createRequire(import.meta.url)('ssb-keys') as SsbKeysJs

const alice = generateKeys()
const bob = generateKeys()
const carol = generateKeys()
const recps = [alice.id, bob.id]
// A typical post: ~300 bytes of compact JSON including recps.
const content = { type: 'post', text: 'x'.repeat(300 - 150), recps, mentions: [] as unknown[] }
const plaintextBytes = Buffer.byteLength(JSON.stringify(content))

const N = 6000
const messages = Array.from({ length: N }, () => boxContent(content, recps))

const jsAlice = keysToJSON(alice)
const jsCarol = keysToJSON(carol)
const aliceUnboxer = createUnboxer(alice.secretKey)
const carolUnboxer = createUnboxer(carol.secretKey)

type Op = 'boxPerSec' | 'unboxPerSec' | 'notForMePerSec'
type Impl = 'ours' | 'oursUnboxer' | 'ssbKeys'
const BATCH = 100
// One batch of BATCH messages, starting at message `from`.
const ops: Record<Impl, Partial<Record<Op, (from: number) => void>>> = {
  ours: {
    boxPerSec: () => { for (let i = 0; i < BATCH; i++) boxContent(content, recps) },
    unboxPerSec: (from) => { for (let i = from; i < from + BATCH; i++) if (!unboxContent(messages[i]!, alice)) throw new Error('unbox failed') },
    notForMePerSec: (from) => { for (let i = from; i < from + BATCH; i++) if (unboxContent(messages[i]!, carol)) throw new Error('opened') },
  },
  oursUnboxer: {
    unboxPerSec: (from) => { for (let i = from; i < from + BATCH; i++) if (!aliceUnboxer.unboxContent(messages[i]!)) throw new Error('unbox failed') },
    notForMePerSec: (from) => { for (let i = from; i < from + BATCH; i++) if (carolUnboxer.unboxContent(messages[i]!)) throw new Error('opened') },
  },
  ssbKeys: {
    boxPerSec: () => { for (let i = 0; i < BATCH; i++) ssbKeys.box(content, recps) },
    unboxPerSec: (from) => { for (let i = from; i < from + BATCH; i++) if (!ssbKeys.unbox(messages[i]!, jsAlice)) throw new Error('unbox failed') },
    notForMePerSec: (from) => { for (let i = from; i < from + BATCH; i++) if (ssbKeys.unbox(messages[i]!, jsCarol)) throw new Error('opened') },
  },
}

// The machine is shared and its load changes from second to second, so the implementations
// take turns batch by batch (rotating who goes first) over the same messages, and each one's
// total time gives its rate.
const impls = Object.keys(ops) as Impl[]
const totals: Record<Impl, Partial<Record<Op, number>>> = { ours: {}, oursUnboxer: {}, ssbKeys: {} }
// Warm-up: every implementation and operation over the first 1000 messages.
for (const impl of impls) for (const run of Object.values(ops[impl])) for (let from = 0; from < 1000; from += BATCH) run(from)
for (const op of ['boxPerSec', 'unboxPerSec', 'notForMePerSec'] as const) {
  const active = impls.filter((impl) => ops[impl][op])
  const ms: Record<string, number> = {}
  let b = 0
  for (let from = 0; from + BATCH <= N; from += BATCH, b++) {
    for (let k = 0; k < active.length; k++) {
      const impl = active[(b + k) % active.length]!
      const t = performance.now()
      ops[impl][op]!(from)
      ms[impl] = (ms[impl] ?? 0) + performance.now() - t
    }
  }
  for (const impl of active) totals[impl][op] = Math.round(N / (ms[impl]! / 1000))
}
const results = {
  plaintextBytes,
  boxBytes: Buffer.from(messages[0]!.slice(0, -4), 'base64').length,
  ...totals,
}

const rows = (['boxPerSec', 'unboxPerSec', 'notForMePerSec'] as const).map((k) => ({
  op: k.replace('PerSec', ''),
  'ours /s': results.ours[k],
  'ours, createUnboxer /s': results.oursUnboxer[k] ?? '',
  'ssb-keys /s': results.ssbKeys[k],
  speedup: Math.round(((results.oursUnboxer[k] ?? results.ours[k]!) / results.ssbKeys[k]!) * 100) / 100,
}))
console.log(`private-box: ${plaintextBytes}-byte post, 2 recipients, ${results.boxBytes}-byte box, ${N} messages, batches of 100 interleaved`)
console.table(rows)

const outDir = fileURLToPath(new URL('../../../bench-results/', import.meta.url))
mkdirSync(outDir, { recursive: true })
writeFileSync(`${outDir}private-box.json`, JSON.stringify({ date: new Date().toISOString(), node: process.version, ...results, rows }, null, 2) + '\n')

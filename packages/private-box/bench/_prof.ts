import { generateKeys } from '@ssb/keys'
import { boxContent, createUnboxer } from '../src/index.js'
const a = generateKeys(), b = generateKeys(), c = generateKeys()
const content = { type: 'post', text: 'x'.repeat(150), recps: [a.id, b.id], mentions: [] }
const N = 6000
const msgs = Array.from({ length: N }, () => boxContent(content, content.recps))
const ua = createUnboxer(a.secretKey), uc = createUnboxer(c.secretKey)
const fns: [string, () => void][] = [
  ['mine distinct', () => { for (const m of msgs) ua.unboxContent(m) }],
  ['notForMe distinct', () => { for (const m of msgs) uc.unboxContent(m) }],
  ['mine same', () => { for (let i = 0; i < N; i++) ua.unboxContent(msgs[0]!) }],
  ['notForMe same', () => { for (let i = 0; i < N; i++) uc.unboxContent(msgs[0]!) }],
]
const ms = new Map<string, number>()
for (let r = 0; r < 4; r++) for (const [n, f] of fns) { const s = performance.now(); f(); if (r) ms.set(n, (ms.get(n) ?? 0) + performance.now() - s) }
for (const [n, v] of ms) console.log(n.padEnd(20), (v / 3 / N * 1000).toFixed(2), 'us')

import { createRequire } from 'node:module'
import { describe, expect, test } from 'vitest'
import { type FeedState, messageId, type MsgValue, validateBatch, validateMessage, ValidationError } from '../src/index.js'

interface DatasetCase {
  state: { id: string; sequence: number; timestamp?: number } | null
  hmacKey: unknown
  message: unknown
  valid: boolean
  error: string | null
  id: string | null
}

const require = createRequire(import.meta.url)
const cases = require('ssb-validation-dataset/data.json') as DatasetCase[]
const indexed = cases.map((c, i) => ({ ...c, i }))

function verdict(c: DatasetCase): { ok: true; key: string } | { ok: false; err: unknown } {
  try {
    const r = validateMessage(c.state as FeedState | null, c.message, { hmacKey: c.hmacKey as string | null })
    return { ok: true, key: r.key }
  } catch (err) {
    return { ok: false, err }
  }
}

describe('ssb-validation-dataset@1.2.1', () => {
  test('has the 126 cases (27 valid) this suite expects', () => {
    expect(cases.length).toBe(126)
    expect(cases.filter((c) => c.valid).length).toBe(27)
  })

  test.each(indexed)('case $i: valid=$valid $error', (c) => {
    const v = verdict(c)
    if (c.valid) {
      expect(v).toEqual({ ok: true, key: c.id })
      expect(messageId(c.message as MsgValue)).toBe(c.id)
    } else {
      expect(v.ok).toBe(false)
      if (!v.ok) {
        expect(v.err).toBeInstanceOf(ValidationError)
        expect((v.err as ValidationError).code).toMatch(/^[A-Z_]+$/)
      }
    }
  })

  test('all 126 verdicts agree, also through validateBatch', async () => {
    let agree = 0
    for (const c of cases) {
      const r = await validateBatch(c.state as FeedState | null, [c.message], { hmacKey: c.hmacKey as string | null })
      const ok = r.error === undefined && r.valid.length === 1
      if (ok === c.valid && (!ok || r.valid[0]!.key === c.id)) agree++
    }
    expect(agree).toBe(126)
  })
})

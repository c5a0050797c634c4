import { describe, expect, test } from 'vitest'
import { progressLine } from '../src/start-command.js'

describe('progressLine', () => {
  test('shows indexing and replication while they run, nothing when done', () => {
    expect(progressLine({ indexes: { start: 0, current: 50, target: 200 } })).toBe('indexing 25%')
    expect(progressLine({ ebt: { start: 100, current: 600, target: 1100 } })).toBe('replicating 500/1000 messages (50%)')
    expect(progressLine({ indexes: { start: 0, current: 200, target: 200 }, ebt: { start: 0, current: 5, target: 5 } })).toBeNull()
  })
})

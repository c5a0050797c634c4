import { defineConfig, mergeConfig } from 'vitest/config'
import { SummaryReporter } from './summary-reporter.js'

// The custom export condition every @ssb package lists first, pointing at src/index.ts,
// so tests run against workspace sources without a build.
export const SOURCE_CONDITION = '@ssb/source'

export const baseConfig = defineConfig({
  resolve: { conditions: [SOURCE_CONDITION, 'import', 'module', 'node', 'default'] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, 'import', 'node', 'default'], externalConditions: [SOURCE_CONDITION] } },
  test: {
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    include: ['test/**/*.test.ts'],
    reporters: ['default', new SummaryReporter()],
  },
})

/** A package's vitest config: the base plus its own overrides. */
export function packageVitestConfig(overrides = {}) {
  return mergeConfig(baseConfig, defineConfig(overrides))
}

export { SummaryReporter }

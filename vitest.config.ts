import { defineConfig, mergeConfig } from 'vitest/config'
import { baseConfig } from '@ssb/vitest-config'

// One root config that runs every package's tests (unit, property, interop).
export default mergeConfig(
  baseConfig,
  defineConfig({
    test: {
      include: [
        'packages/*/test/**/*.test.ts',
        'apps/*/test/**/*.test.ts',
        'tooling/*/test/**/*.test.ts',
        'interop/test/**/*.test.ts',
      ],
      // 2 cores in CI: keep parallelism modest so timing-sensitive crash/interop tests stay stable.
      maxWorkers: 2,
    },
  }),
)

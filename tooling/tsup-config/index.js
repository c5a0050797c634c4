import { defineConfig } from 'tsup'

/**
 * The build every @ssb package shares: ESM only, declarations, Node 20, no bundling of
 * dependencies. Pass extra entries (e.g. worker files) or options to override.
 * @param {import('tsup').Options} [overrides]
 */
export function packageConfig(overrides = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: false,
    ...overrides,
  })
}

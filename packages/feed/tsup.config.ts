import { packageConfig } from '@ssb/tsup-config'

// verify-worker.js is plain JS loaded with `new URL('./verify-worker.js', import.meta.url)`;
// it must land next to index.js in dist. Only index.ts needs declarations.
export default packageConfig({ entry: ['src/index.ts', 'src/verify-worker.js'], dts: { entry: 'src/index.ts' } })

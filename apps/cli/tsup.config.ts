import { packageConfig } from '@ssb/tsup-config'

export default packageConfig({ entry: ['src/index.ts', 'src/bin.ts'] })

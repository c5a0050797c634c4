import { packageVitestConfig } from '@ssb/vitest-config'

export default packageVitestConfig()

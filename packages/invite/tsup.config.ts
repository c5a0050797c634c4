import { packageConfig } from '@ssb/tsup-config'

export default packageConfig()

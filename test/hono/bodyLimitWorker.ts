/**
 * bodyLimitApp.ts as a Worker entry, for bodyLimit.worker.test.ts (bundled with esbuild and run in Miniflare by
 * worker.ts). Its facilitator stand-in accepts every payment, so no chain or facilitator is needed.
 */
import { bodyLimitApp } from './bodyLimitApp.ts'

export default bodyLimitApp()

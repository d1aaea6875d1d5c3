/**
 * The Node entry of the facilitator service: reads `process.env` once, starts the server, and
 * stops it cleanly on SIGINT/SIGTERM. Run through `bin/tollgate-facilitator.js` (built: `dist/node.js`; in the repository, the sources through tsx).
 */
import { isX402Error } from '@tollgate/protocol'
import { parseConfig } from './config.ts'

try {
  // Parse before loading the server's dependencies, so a bad configuration fails fast.
  const config = parseConfig(process.env)
  const { startFacilitator } = await import('./server.ts')
  const running = await startFacilitator(config)
  const networks = config.networks.map(({ network }) => network).join(', ')
  console.log(`tollgate-facilitator listening on ${running.url}`)
  console.log(`  signer   ${running.signer}`)
  console.log(`  ledger   ${config.dataDir}`)
  console.log(`  networks ${networks}`)
  const shutdown = (signal: string) => {
    console.log(`${signal}: stopping`)
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', () => shutdown('SIGINT'))
  process.once('SIGTERM', () => shutdown('SIGTERM'))
} catch (error) {
  console.error(isX402Error(error) || error instanceof Error ? error.message : String(error))
  process.exit(1)
}

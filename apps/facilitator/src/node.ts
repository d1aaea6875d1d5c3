/**
 * The Node entry of the facilitator service: reads `process.env` once, starts the server, and
 * stops it cleanly on SIGINT/SIGTERM. Run through `bin/tollgate-facilitator.js` (tsx).
 */
import { readFileSync } from 'node:fs'
import { isX402Error } from '@tollgate/protocol'
import { environmentFrom, helpText } from './cli.ts'
import { parseConfig } from './config.ts'

try {
  // Parse before loading the server's dependencies, so a bad configuration fails fast.
  let env: ReturnType<typeof environmentFrom>
  try {
    env = environmentFrom(process.argv.slice(2), process.env, (path) => readFileSync(path, 'utf8'))
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('Unknown argument')) {
      process.stderr.write(`${error.message}\n\n${helpText()}`)
      process.exit(2)
    }
    throw error
  }
  const config = parseConfig(env)
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

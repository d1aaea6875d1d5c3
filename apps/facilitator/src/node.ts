/**
 * The Node entry of the facilitator service: reads the configuration once (environment, or
 * `--config <file>` under it), starts the server, logs JSON lines to stdout, and on SIGTERM or
 * SIGINT shuts down gracefully (stops taking work, finishes what is in flight) and exits 0. Run
 * through `bin/tollgate-facilitator.js` (built: `dist/node.js`; in the repository, the sources through tsx).
 */
import { readFileSync } from 'node:fs'
import { isX402Error } from '@tollgate/protocol'
import { environmentFrom, helpText } from './commands/cli.ts'
import { parseConfig } from './config/parseConfig.ts'
import { describeScreening } from './sanctions/describeScreening.ts'

try {
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
  // Parse before loading the server's dependencies, so a bad configuration fails fast.
  const config = parseConfig(env)
  const { startFacilitator } = await import('./startFacilitator.ts')
  const running = await startFacilitator(config)
  const { logger } = running
  let signals = 0
  const shutdown = (signal: string) => {
    signals++
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: stopping now')
      running.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      )
      return
    }
    logger.info({ signal }, 'shutting down')
    running.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  // Signal handlers before the 'listening' line: a signal sent as soon as it is read must not meet the default action.
  // SIGHUP: read the sanctions list again (a malformed one is refused and the current one kept).
  process.on('SIGHUP', () => running.reloadSanctions())
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  logger.info(
    {
      url: running.url,
      metricsUrl: running.metricsUrl,
      signer: running.signer,
      ledger: config.databaseUrl ? 'postgresql' : config.dataDir,
      networks: config.networks.map(({ network }) => network),
      // What is screened where, and what is not (never silently).
      screening: config.screening ? describeScreening(config.screening, config.networks) : 'off',
    },
    'listening',
  )
} catch (error) {
  console.error(isX402Error(error) || error instanceof Error ? error.message : String(error))
  process.exit(1)
}

/**
 * The demo's Node entry: `tsx --conditions=@tollgate/source apps/demo/src/node.ts` serves the paid weather API on
 * 127.0.0.1:4021 (see config.ts for the environment variables). Ctrl-C stops it.
 */
import { parseDemoConfig } from './config.ts'
import { startDemo } from './server.ts'

const config = parseDemoConfig(process.env)
const demo = await startDemo(config)
console.log(`demo API listening on ${demo.url} (facilitator ${config.facilitatorUrl}, payTo ${config.payTo})`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void demo.stop().then(() => process.exit(0))
  })
}

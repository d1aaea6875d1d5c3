/**
 * The facilitators under test of bench/limits, in one child process of run.ts (so the load
 * generator gets the other core), each `startFacilitator` exactly as the service runs (auth on,
 * API keys made by run.ts with the `keys create` CLI in each data directory), all against the same
 * anvil (TOLLGATE_BENCH_RPC):
 *
 * - on: the default limits (no limit variable set: 600 a minute per address before
 *   authentication, 600,000 per API key, 16 settlements in flight per payer), counters in memory;
 * - off: rate limits off (`TOLLGATE_RATE_LIMIT_PER_MINUTE=0`, `TOLLGATE_RATE_LIMIT_KEY_PER_MINUTE=0`);
 * - control: the same as off again, so the report shows what the method reads for no change.
 *
 * Prints one JSON line with their URLs and a stats URL (`/__cpu`: this process's CPU time;
 * `/__queue`: the most settlements of one payer waiting and in flight on `on` since the last read,
 * sampled every 5 ms), then serves until SIGTERM.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { startFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { devAccounts, devPrivateKeys } from '../../test/chain/accounts.ts'

const env = (name: string): string => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}

const common = {
  TOLLGATE_PORT: '0',
  TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
  TOLLGATE_RPC_URL_8453: env('TOLLGATE_BENCH_RPC'),
  TOLLGATE_AUTH: 'on',
}
const on = await startFacilitator({ ...common, TOLLGATE_DATA_DIR: env('TOLLGATE_BENCH_ON_DIR') })
const offEnv = { ...common, TOLLGATE_RATE_LIMIT_PER_MINUTE: '0', TOLLGATE_RATE_LIMIT_KEY_PER_MINUTE: '0' }
// The two limits-off nodes sign with other keys: only `on` settles, and each signer has one node.
const off = await startFacilitator({
  ...offEnv,
  TOLLGATE_SIGNER_KEY: devPrivateKeys[1],
  TOLLGATE_DATA_DIR: env('TOLLGATE_BENCH_OFF_DIR'),
})
const control = await startFacilitator({
  ...offEnv,
  TOLLGATE_SIGNER_KEY: devPrivateKeys[1],
  TOLLGATE_DATA_DIR: env('TOLLGATE_BENCH_CONTROL_DIR'),
})

const payers = devAccounts.payers.map((payer) => payer.address)
const network = 'eip155:8453'
let waiting = 0
let inFlight = 0
const sampler = setInterval(() => {
  for (const payer of payers) {
    waiting = Math.max(waiting, on.facilitator.payerLimits.waiting(network, payer))
    inFlight = Math.max(inFlight, on.facilitator.payerLimits.inFlight(network, payer))
  }
}, 5)
const stats = new Hono()
  .get('/__cpu', (c) => {
    const { user, system } = process.cpuUsage()
    return c.json({ cpu: user + system })
  })
  .get('/__queue', (c) => {
    const answer = { waiting, inFlight }
    waiting = 0
    inFlight = 0
    return c.json(answer)
  })
const statsServer = serve({ fetch: stats.fetch, hostname: '127.0.0.1', port: 0 })
await new Promise((resolve) => statsServer.once('listening', resolve))
console.log(
  JSON.stringify({
    on: on.url,
    off: off.url,
    control: control.url,
    stats: `http://127.0.0.1:${(statsServer.address() as AddressInfo).port}`,
  }),
)

const stop = async () => {
  clearInterval(sampler)
  statsServer.close()
  await Promise.all([on.stop(), off.stop(), control.stop()])
  process.exit(0)
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)

/**
 * The facilitators under test of bench/operations, in one child process of run.ts (so autocannon
 * gets the other core), each `startFacilitator` exactly as the service runs, each with its own
 * SQLite data directory, all against the same anvil (TOLLGATE_BENCH_RPC):
 *
 * - open: auth off, rate limits off;
 * - guarded: API keys (made by run.ts with the `keys create` CLI in TOLLGATE_BENCH_GUARDED_DIR),
 *   a per-address and a per-key limit, counters in memory;
 * - guardedRedis: the same, counters on Redis (TOLLGATE_BENCH_REDIS_URL), as nodes share them.
 *
 * Prints one JSON line with their URLs and a CPU-time URL, then serves until SIGTERM.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { startFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { devPrivateKeys } from '../../test/chain/accounts.ts'

const env = (name: string): string => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}
const rpc = env('TOLLGATE_BENCH_RPC')
const perKey = env('TOLLGATE_BENCH_PER_KEY')
const perAddress = env('TOLLGATE_BENCH_PER_ADDRESS')

const common = {
  TOLLGATE_PORT: '0',
  TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
  TOLLGATE_RPC_URL_8453: rpc,
}
const openDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-open-'))
const open = await startFacilitator({
  ...common,
  TOLLGATE_DATA_DIR: openDir,
  TOLLGATE_AUTH: 'off',
  TOLLGATE_RATE_LIMIT_PER_MINUTE: '0',
  TOLLGATE_RATE_LIMIT_KEY_PER_MINUTE: '0',
})
const guardedEnv = {
  ...common,
  TOLLGATE_AUTH: 'on',
  TOLLGATE_RATE_LIMIT_PER_MINUTE: perAddress,
  TOLLGATE_RATE_LIMIT_KEY_PER_MINUTE: perKey,
}
const guarded = await startFacilitator({
  ...guardedEnv,
  TOLLGATE_DATA_DIR: env('TOLLGATE_BENCH_GUARDED_DIR'),
  TOLLGATE_RATE_LIMIT_STORE: 'memory',
})
const guardedRedis = await startFacilitator({
  ...guardedEnv,
  TOLLGATE_DATA_DIR: env('TOLLGATE_BENCH_GUARDED_REDIS_DIR'),
  TOLLGATE_RATE_LIMIT_STORE: 'redis',
  TOLLGATE_REDIS_URL: env('TOLLGATE_BENCH_REDIS_URL'),
  TOLLGATE_RATE_LIMIT_PREFIX: env('TOLLGATE_BENCH_REDIS_PREFIX'),
})

const cpu = new Hono().get('/__cpu', (c) => {
  const { user, system } = process.cpuUsage()
  return c.json({ cpu: user + system })
})
const cpuServer = serve({ fetch: cpu.fetch, hostname: '127.0.0.1', port: 0 })
await new Promise((resolve) => cpuServer.once('listening', resolve))
console.log(
  JSON.stringify({
    open: open.url,
    guarded: guarded.url,
    guardedRedis: guardedRedis.url,
    cpu: `http://127.0.0.1:${(cpuServer.address() as AddressInfo).port}`,
  }),
)

const stop = async () => {
  cpuServer.close()
  await Promise.all([open.stop(), guarded.stop(), guardedRedis.stop()])
  rmSync(openDir, { recursive: true, force: true })
  process.exit(0)
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)

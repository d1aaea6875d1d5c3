/**
 * The two facilitators under test, in one child process of run.ts (so autocannon gets the other
 * core), both on @hono/node-server, both against the same anvil (TOLLGATE_BENCH_RPC):
 *
 * - ours: `startFacilitator` from apps/facilitator (native recovery, SQLite ledger, batched RPC),
 *   exactly as the service runs;
 * - the official facilitator (`@x402/core` `x402Facilitator` + `@x402/evm` exact scheme) behind a
 *   Hono `POST /verify` shaped like the official example server.
 *
 * Prints one JSON line with their URLs, then serves until SIGTERM. `GET /__cpu` on either answers
 * this process's CPU time in microseconds, so run.ts can report verifies per CPU-second.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { base } from 'viem/chains'
import { startFacilitator } from '../../apps/facilitator/src/server.ts'
import { devAccounts, devPrivateKeys } from '../../test/chain/accounts.ts'
import { createOfficialFacilitator } from '../../test/facilitator/officialFacilitator.ts'

const rpc = process.env.TOLLGATE_BENCH_RPC
if (!rpc) throw new Error('TOLLGATE_BENCH_RPC is required')
const cpu = () => {
  const { user, system } = process.cpuUsage()
  return user + system
}

const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'))
const ours = await startFacilitator({
  TOLLGATE_PORT: '0',
  // Auth is not what this suite tests: explicitly off (see test/service/auth.test.ts).
  TOLLGATE_AUTH: 'off',
  TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
  // 2,000 requests from one loopback address: this run measures verification, not the rate limit.
  TOLLGATE_RATE_LIMIT_PER_MINUTE: '0',
  TOLLGATE_RPC_URL_8453: rpc,
  TOLLGATE_DATA_DIR: dataDir,
  // run.ts cycles its pool of payments: hold each reservation for the shortest lease, so a payment
  // comes round again free (a held one answers `authorization_in_use`).
  TOLLGATE_RESERVATION_SECONDS: '1',
})
// The same service with sanctions screening on (issue 12): an OFAC artifact of 1,000 addresses (the real list has
// about 90 EVM ones), the USDC blacklist and our oracle contract at the Base oracle address (run.ts places it),
// every decision audited in the SQLite ledger.
const listPath = join(dataDir, 'ofac-sdn-evm.json')
const listed = Array.from({ length: 1_000 }, (_, i) => `0x${(0x5a0000 + i).toString(16).padStart(40, '0')}`)
writeFileSync(
  listPath,
  JSON.stringify({
    format: 'ofac-sdn-evm/1',
    source: {
      publisher: 'OFAC',
      file: 'SDN_ADVANCED.XML',
      dateOfIssue: '2026-12-01',
      sha256: 'ab'.repeat(32),
      bytes: 1,
      checkedAt: new Date().toISOString(),
    },
    generator: { name: 'bench', version: '0' },
    counts: { dcaValues: listed.length, evmAddresses: listed.length },
    evm: listed.map((address, i) => ({ address, labels: ['ETH'], refs: [String(i)], programs: ['CYBER2'] })),
  }),
)
const screened = await startFacilitator({
  TOLLGATE_PORT: '0',
  TOLLGATE_AUTH: 'off',
  TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
  TOLLGATE_RATE_LIMIT_PER_MINUTE: '0',
  TOLLGATE_RPC_URL_8453: rpc,
  TOLLGATE_DATA_DIR: join(dataDir, 'screened'),
  TOLLGATE_RESERVATION_SECONDS: '1',
  TOLLGATE_SCREENING: 'on',
  TOLLGATE_SANCTIONS_LIST: listPath,
  TOLLGATE_SCREENING_ORACLES: 'eip155:8453=0x3A91A31cB3dC49b4db9Ce721F50a9D076c8D739B',
  // stdout carries the URLs line run.ts reads: no "sanctions list loaded" line before it.
  TOLLGATE_LOG_LEVEL: 'warn',
})
const oursCpu = new Hono()
oursCpu.get('/__cpu', (c) => c.json({ cpu: cpu() }))
const cpuServer = serve({ fetch: oursCpu.fetch, hostname: '127.0.0.1', port: 0 })
await new Promise((resolve) => cpuServer.once('listening', resolve))

const official = createOfficialFacilitator({
  url: rpc,
  chain: { ...base, rpcUrls: { default: { http: [rpc] } } },
  account: devAccounts.facilitator,
})
const reference = new Hono()
reference.post('/verify', async (c) => {
  try {
    const { paymentPayload, paymentRequirements } = await c.req.json()
    return c.json(await official.verify(paymentPayload, paymentRequirements))
  } catch (error) {
    return c.json({ error: error instanceof Error ? error.message : 'Unknown error' }, 500)
  }
})
reference.get('/__cpu', (c) => c.json({ cpu: cpu() }))
const referenceServer = serve({ fetch: reference.fetch, hostname: '127.0.0.1', port: 0 })
await new Promise((resolve) => referenceServer.once('listening', resolve))

const url = (server: typeof referenceServer) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`
console.log(
  JSON.stringify({ ours: ours.url, screened: screened.url, oursCpu: url(cpuServer), reference: url(referenceServer) }),
)

const stop = async () => {
  referenceServer.close()
  cpuServer.close()
  await ours.stop()
  await screened.stop()
  rmSync(dataDir, { recursive: true, force: true })
  process.exit(0)
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)

/**
 * One facilitator under test, in its own child process of run.ts (so each process's CPU time is its
 * own, and autocannon gets the other core), on @hono/node-server, against the local anvil
 * (TOLLGATE_BENCH_RPC). TOLLGATE_BENCH_TARGET picks it:
 *
 * - `ours`: `startFacilitator` from apps/facilitator (native recovery, SQLite ledger, batched RPC),
 *   exactly as the service runs;
 * - `screened`: the same with sanctions screening on (`ours` turns it off explicitly, as it is on by default);
 * - `reference`: the official facilitator (`@x402/core` `x402Facilitator` + `@x402/evm` exact scheme)
 *   behind a Hono `POST /verify` shaped like the official example server.
 *
 * Run from another checkout (`run.ts --against name=DIR`), `ours` is that checkout's code.
 * Prints one JSON line `{ url, cpu }`, then serves until SIGTERM. `GET /__cpu` on `cpu` answers
 * this process's CPU time in microseconds, so run.ts can report verifies per CPU-second.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { base } from 'viem/chains'
import { startFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { devAccounts, devPrivateKeys } from '../../test/chain/accounts.ts'
import { createOfficialFacilitator } from '../../test/facilitator/officialFacilitator.ts'

const rpc = process.env.TOLLGATE_BENCH_RPC
if (!rpc) throw new Error('TOLLGATE_BENCH_RPC is required')
const target = process.env.TOLLGATE_BENCH_TARGET
if (target !== 'ours' && target !== 'screened' && target !== 'reference') {
  throw new Error('TOLLGATE_BENCH_TARGET must be ours, screened or reference')
}
const cpu = () => {
  const { user, system } = process.cpuUsage()
  return user + system
}

const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'))
const service = {
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
}

/** The screened service (issue 12): an OFAC artifact of 1,000 addresses (the real list has about 90 EVM ones), the
 * USDC blacklist and our oracle contract at the Base oracle address (run.ts places it), every decision audited in
 * the SQLite ledger. */
function screenedService() {
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
  return startFacilitator({
    ...service,
    TOLLGATE_SCREENING: 'on',
    TOLLGATE_SANCTIONS_LIST: listPath,
    // The artifact above is the list: never fetched during a run.
    TOLLGATE_SANCTIONS_REFRESH_SECONDS: '0',
    TOLLGATE_SCREENING_ORACLES: 'eip155:8453=0x3A91A31cB3dC49b4db9Ce721F50a9D076c8D739B',
    // stdout carries the URLs line run.ts reads: no "sanctions list loaded" line before it.
    TOLLGATE_LOG_LEVEL: 'warn',
  })
}

/** The official scheme behind a Hono `POST /verify`. */
async function referenceService() {
  const official = createOfficialFacilitator({
    url: rpc as string,
    chain: { ...base, rpcUrls: { default: { http: [rpc as string] } } },
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
  const server = await listen(reference)
  return { url: url(server), stop: async () => void server.close() }
}

async function listen(app: Hono) {
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 })
  await new Promise((resolve) => server.once('listening', resolve))
  return server
}
const url = (server: Awaited<ReturnType<typeof listen>>) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`

const started =
  target === 'ours'
    ? // Unscreened, as the "## Verify" section measures it: screening is on by default, so off explicitly (its warning
      // would precede the URLs line on stdout).
      await startFacilitator({ ...service, TOLLGATE_SCREENING: 'off', TOLLGATE_LOG_LEVEL: 'error' })
    : target === 'screened'
      ? await screenedService()
      : await referenceService()
const cpuApp = new Hono()
cpuApp.get('/__cpu', (c) => c.json({ cpu: cpu() }))
const cpuServer = await listen(cpuApp)
console.log(JSON.stringify({ url: started.url, cpu: url(cpuServer) }))

const stop = async () => {
  cpuServer.close()
  await started.stop()
  rmSync(dataDir, { recursive: true, force: true })
  process.exit(0)
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)

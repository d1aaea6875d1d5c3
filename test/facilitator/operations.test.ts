/**
 * Operating the facilitator (issue 9, items 4-6): a real anvil, the real service over HTTP, and the
 * real @tollgate/hono middleware paying through it. Metrics move with real requests; the request id
 * of a buyer request reaches the facilitator's log lines; the logs never carry the signer key, a
 * full signature or the RPC URL; /ready goes 503 when anvil stops and 200 again when it returns on
 * the same port; /health says only up or down.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { serve } from '@hono/node-server'
import { httpFacilitator, paymentRequired } from '@tollgate/hono'
import { x402Client } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { wrapFetchWithPayment } from '@x402/fetch'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RunningFacilitator, startFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { devPrivateKeys } from '../chain/accounts.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { makePayments } from '../recovery/payments.ts'

let chain: LocalChain
let running: RunningFacilitator
let seller: ReturnType<typeof serve> | undefined
let sellerUrl: string
const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-ops-'))
let logged = ''
const capture = new Writable({
  write(chunk, _encoding, done) {
    logged += String(chunk)
    done()
  },
})

beforeAll(async () => {
  chain = await startLocalChain()
  running = await startFacilitator(
    {
      TOLLGATE_PORT: '0',
      TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
      TOLLGATE_RPC_URL_8453: chain.url,
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_POLLING_INTERVAL_MS: '20',
      TOLLGATE_RECONCILE_INTERVAL_MS: '0',
      TOLLGATE_METRICS_PORT: '0',
      TOLLGATE_LOG_LEVEL: 'debug',
      // Not what this suite tests: no API keys, no rate limit.
      TOLLGATE_AUTH: 'off',
      TOLLGATE_RATE_LIMIT_PER_MINUTE: '0',
    },
    { logDestination: capture },
  )
  const app = new Hono()
  app.use(
    paymentRequired({
      facilitator: httpFacilitator({ url: running.url }),
      routes: {
        'GET /paid': { accepts: { network: chain.network, price: '$0.001', payTo: chain.accounts.seller.address } },
      },
    }),
  )
  app.get('/paid', (c) => c.json({ paid: true }))
  sellerUrl = await new Promise<string>((resolve) => {
    seller = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) =>
      resolve(`http://127.0.0.1:${info.port}`),
    )
  })
})
afterAll(async () => {
  if (seller) await new Promise((resolve) => seller?.close(resolve))
  await running?.stop()
  await chain?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

/** The value of one sample of the exposition text (labels as written), 0 when absent. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `))
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0
}
const scrape = async () => (await fetch(`${running.metricsUrl}/metrics`)).text()
const lines = () =>
  logged
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)

describe('operations over HTTP', () => {
  test('behavior: /metrics moves with real paid requests through the middleware, and is admin only on the main port', async () => {
    expect((await fetch(`${running.url}/metrics`)).status).toBe(403)
    const before = await scrape()
    const payer = chain.accounts.payers[0]
    const pay = wrapFetchWithPayment(fetch, new x402Client().register('eip155:8453', new ExactEvmScheme(payer)))
    for (let i = 0; i < 3; i++) {
      const response = await pay(`${sellerUrl}/paid`, { headers: { 'x-request-id': `buyer-${i}` } })
      expect(response.status).toBe(200)
    }
    // A refused settle (not a valid payment body) counts under its code.
    await fetch(`${running.url}/settle`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    })
    const after = await scrape()
    expect(sample(after, 'tollgate_verify_total', '{outcome="valid"}')).toBe(
      sample(before, 'tollgate_verify_total', '{outcome="valid"}') + 3,
    )
    expect(sample(after, 'tollgate_settle_total', '{outcome="settled"}')).toBe(
      sample(before, 'tollgate_settle_total', '{outcome="settled"}') + 3,
    )
    expect(sample(after, 'tollgate_settle_total', '{outcome="invalid_request"}')).toBeGreaterThanOrEqual(1)
    expect(sample(after, 'tollgate_settle_duration_seconds_count')).toBe(
      sample(before, 'tollgate_settle_duration_seconds_count') + 4,
    )
    expect(sample(after, 'tollgate_verify_duration_seconds_count')).toBeGreaterThanOrEqual(3)
    expect(sample(after, 'tollgate_settlement_batch_size_count')).toBe(
      sample(before, 'tollgate_settlement_batch_size_count') + 3,
    )
    const signer = chain.accounts.facilitator.address
    expect(sample(after, 'tollgate_signer_balance_wei', `{network="eip155:8453",signer="${signer}"}`)).toBeGreaterThan(
      1e18,
    )
    const nonce = await chain.publicClient.getTransactionCount({ address: signer })
    expect(sample(after, 'tollgate_signer_nonce', `{network="eip155:8453",signer="${signer}",tag="latest"}`)).toBe(
      nonce,
    )
    expect(after).toContain('tollgate_pending_settlements 0')
    expect(after).toContain('tollgate_pending_settlement_oldest_age_seconds 0')
    // The reconciler's pass at start was counted.
    expect(sample(after, 'tollgate_reconciler_passes_total')).toBeGreaterThanOrEqual(1)
  })

  test("behavior: the buyer request's X-Request-Id reaches the facilitator's verify and settle log lines", async () => {
    const verify = lines().find((l) => l.msg === 'verify' && l.requestId === 'buyer-1')
    const settle = lines().find((l) => l.msg === 'settle' && l.requestId === 'buyer-1')
    expect(verify).toMatchObject({ route: 'verify', outcome: 'valid', level: 'info' })
    expect(settle).toMatchObject({ route: 'settle', outcome: 'settled', network: 'eip155:8453' })
    expect(String(settle?.transaction)).toMatch(/^0x[0-9a-f]{64}$/)
    // Without one from the buyer, the middleware makes one per request.
    const payer = chain.accounts.payers[1]
    const pay = wrapFetchWithPayment(fetch, new x402Client().register('eip155:8453', new ExactEvmScheme(payer)))
    expect((await pay(`${sellerUrl}/paid`)).status).toBe(200)
    const last = lines().filter((l) => l.msg === 'settle')
    expect(String(last[last.length - 1]?.requestId)).toMatch(/^[0-9a-f-]{36}$/)
  })

  test('behavior: the logs never carry the signer key, a full signature or the RPC URL', async () => {
    const [payment] = await makePayments(chain, 1)
    const signature = payment?.payload.signature as string
    await fetch(`${running.url}/settle`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payment?.body),
    })
    // Whatever a caller puts in a log line: an RPC error quoting its URL, the key, a signature.
    running.logger.error(
      {
        err: new Error(`HTTP request failed. URL: ${chain.url} body: ${signature}`),
        signature,
        payload: { signature },
        note: `key ${devPrivateKeys[0]} rpc ${chain.url}/`,
      },
      'an unexpected error',
    )
    expect(lines().some((l) => l.msg === 'an unexpected error')).toBe(true)
    const key = devPrivateKeys[0].slice(2).toLowerCase()
    expect(logged.toLowerCase()).not.toContain(key)
    expect(logged.toLowerCase()).not.toContain(signature.slice(2).toLowerCase())
    expect(logged).not.toContain(chain.url)
    expect(logged).not.toContain(`127.0.0.1:${chain.port}`)
  })

  test('behavior: /health says only up; /ready is 200 with details on the metrics address, bare on the main port', async () => {
    const health = await fetch(`${running.url}/health`)
    expect(await health.json()).toEqual({ status: 'up' })
    const bare = await fetch(`${running.url}/ready`)
    expect(bare.status).toBe(200)
    expect(await bare.json()).toEqual({ ready: true })
    const detailed = await fetch(`${running.metricsUrl}/ready`)
    expect(detailed.status).toBe(200)
    expect(await detailed.json()).toMatchObject({
      ready: true,
      checks: { store: { ok: true }, rpc: { 'eip155:8453': { ok: true } }, signer: { 'eip155:8453': { ok: true } } },
      signers: [{ address: chain.accounts.facilitator.address, leased: true }],
    })
  })

  test('behavior: /ready goes 503 when anvil stops and 200 again when it returns on the same port', async () => {
    const port = chain.port
    await chain.stop()
    await new Promise((resolve) => setTimeout(resolve, 1_100)) // past the 1 s readiness cache
    const down = await fetch(`${running.metricsUrl}/ready`)
    expect(down.status).toBe(503)
    const body = (await down.json()) as { checks: { rpc: Record<string, { ok: boolean }> } }
    expect(body.checks.rpc['eip155:8453']?.ok).toBe(false)
    expect((await fetch(`${running.url}/ready`)).status).toBe(503)
    expect(JSON.stringify(body)).not.toContain(`127.0.0.1:${port}`)
    // RPC errors were counted by method.
    expect(await scrape()).toMatch(/tollgate_rpc_errors_total\{method="eth_blockNumber"\} [1-9]/)
    // /health is liveness: still up.
    expect((await fetch(`${running.url}/health`)).status).toBe(200)

    chain = await startLocalChain({ port })
    let status = 0
    for (let attempt = 0; attempt < 40 && status !== 200; attempt++) {
      status = (await fetch(`${running.metricsUrl}/ready`)).status
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250))
    }
    expect(status).toBe(200)
    expect((await fetch(`${running.url}/ready`)).status).toBe(200)
  }, 60_000)
})

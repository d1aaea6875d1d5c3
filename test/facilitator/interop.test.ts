/**
 * Interop over real HTTP: the official v2 middleware (@x402/hono) and v1 middleware (x402-hono), both
 * configured with our facilitator's URL, serve a paid route to the official v2 client (@x402/fetch)
 * and v1 client (x402-fetch). Our facilitator verifies and settles on the local anvil.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { decodeHeader, settleResponseSchema } from '@tollgate/protocol'
import { x402Client } from '@x402/core/client'
import { HTTPFacilitatorClient, x402ResourceServer } from '@x402/core/server'
import { ExactEvmScheme as ExactEvmClientScheme } from '@x402/evm/exact/client'
import { ExactEvmScheme as ExactEvmServerScheme } from '@x402/evm/exact/server'
import { wrapFetchWithPayment } from '@x402/fetch'
import { paymentMiddleware } from '@x402/hono'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { wrapFetchWithPayment as wrapFetchWithPaymentV1 } from 'x402-fetch'
import { paymentMiddleware as paymentMiddlewareV1 } from 'x402-hono'
import { type RunningFacilitator, startFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { devPrivateKeys } from '../chain/accounts.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'

let chain: LocalChain
let facilitator: RunningFacilitator
const servers: { close(callback: () => void): void; closeAllConnections?(): void }[] = []
const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-interop-'))

async function listen(app: Hono): Promise<string> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    })
    servers.push(server as never)
  })
}

beforeAll(async () => {
  chain = await startLocalChain()
  facilitator = await startFacilitator({
    TOLLGATE_PORT: '0',
    // Auth is not what this suite tests: explicitly off (see test/service/auth.test.ts).
    TOLLGATE_AUTH: 'off',
    TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
    TOLLGATE_RPC_URL_8453: chain.url,
    TOLLGATE_DATA_DIR: dataDir,
    TOLLGATE_POLLING_INTERVAL_MS: '20',
  })
})
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections?.()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  await facilitator?.stop()
  await chain?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('interop with the official x402 packages', () => {
  test('default: @x402/hono (v2) with our facilitator serves a paid route to @x402/fetch', async () => {
    const seller = chain.accounts.seller.address
    const server = new x402ResourceServer(new HTTPFacilitatorClient({ url: facilitator.url })).register(
      'eip155:8453',
      new ExactEvmServerScheme(),
    )
    const app = new Hono()
    app.use(
      paymentMiddleware(
        {
          'GET /paid': {
            accepts: { scheme: 'exact', price: '$0.01', network: 'eip155:8453', payTo: seller },
            description: 'paid',
          },
        },
        server,
      ),
    )
    app.get('/paid', (c) => c.json({ paid: true }))
    const url = await listen(app)

    const unpaid = await fetch(`${url}/paid`)
    expect(unpaid.status).toBe(402)

    const payer = chain.accounts.payers[0]
    const [payerBefore, sellerBefore] = await Promise.all([chain.balanceOf(payer.address), chain.balanceOf(seller)])
    const client = new x402Client().register('eip155:8453', new ExactEvmClientScheme(payer))
    const paidFetch = wrapFetchWithPayment(fetch, client)
    const response = await paidFetch(`${url}/paid`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ paid: true })
    const receipt = decodeHeader(settleResponseSchema, response.headers.get('payment-response'))
    expect(receipt).toMatchObject({ success: true, network: 'eip155:8453', payer: payer.address })
    expect(receipt.transaction).toMatch(/^0x[0-9a-f]{64}$/)
    expect(await chain.balanceOf(payer.address)).toBe(payerBefore - 10_000n)
    expect(await chain.balanceOf(seller)).toBe(sellerBefore + 10_000n)
  })

  test('behavior: x402-hono (v1) with our facilitator serves a paid route to x402-fetch', async () => {
    const seller = chain.accounts.seller.address
    const app = new Hono()
    app.use(
      paymentMiddlewareV1(
        seller,
        { '/paid': { price: '$0.01', network: 'base' } },
        { url: facilitator.url as `${string}://${string}` },
      ),
    )
    app.get('/paid', (c) => c.json({ paid: 'v1' }))
    const url = await listen(app)

    const unpaid = await fetch(`${url}/paid`)
    expect(unpaid.status).toBe(402)
    expect(await unpaid.json()).toMatchObject({
      x402Version: 1,
      accepts: [{ network: 'base', maxAmountRequired: '10000' }],
    })

    const payer = chain.accounts.payers[1]
    const before = await chain.balanceOf(payer.address)
    const paidFetch = wrapFetchWithPaymentV1(fetch, payer as never)
    const response = await paidFetch(`${url}/paid`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ paid: 'v1' })
    const receipt = decodeHeader(settleResponseSchema, response.headers.get('x-payment-response'))
    expect(receipt).toMatchObject({ success: true, network: 'base', payer: payer.address })
    expect(await chain.balanceOf(payer.address)).toBe(before - 10_000n)
  })

  test('behavior: the official v2 client also pays the v1 middleware through our facilitator', async () => {
    const seller = chain.accounts.seller.address
    const app = new Hono()
    app.use(
      paymentMiddlewareV1(
        seller,
        { '/v1-only': { price: '$0.01', network: 'base' } },
        { url: facilitator.url as `${string}://${string}` },
      ),
    )
    app.get('/v1-only', (c) => c.json({ ok: true }))
    const url = await listen(app)
    const payer = chain.accounts.payers[2]
    const { registerExactEvmScheme } = await import('@x402/evm/exact/client')
    const client = new x402Client()
    registerExactEvmScheme(client, { signer: payer })
    const response = await wrapFetchWithPayment(fetch, client)(`${url}/v1-only`)
    expect(response.status).toBe(200)
    expect(decodeHeader(settleResponseSchema, response.headers.get('x-payment-response'))).toMatchObject({
      success: true,
    })
  })
})

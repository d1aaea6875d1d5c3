/**
 * End to end: a real anvil (our EIP-3009 token at the real USDC address), a facilitator over HTTP,
 * the demo API on Node, and the official clients paying it: `@x402/fetch` (v2) and `x402-fetch` (v1).
 * Balances are read on chain before and after every payment. The suite runs twice: through
 * Tollgate's facilitator, and through the official x402 facilitator (interop: the middleware must
 * work with any x402 facilitator).
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { httpFacilitator, paymentRequired } from '@tollgate/hono'
import { decodeHeader, settleResponseSchema } from '@tollgate/protocol'
import { x402Client, x402HTTPClient } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { wrapFetchWithPayment } from '@x402/fetch'
import { Hono } from 'hono'
import type { LocalAccount } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { wrapFetchWithPayment as wrapFetchV1 } from 'x402-fetch'
import { parseDemoConfig } from '../../apps/demo/src/config.ts'
import { type RunningDemo, startDemo } from '../../apps/demo/src/server.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { startTestFacilitator, type TestFacilitator, type TestFacilitatorKind } from './facilitators.ts'

const kinds: TestFacilitatorKind[] = ['tollgate', 'official']

describe.each(kinds)('e2e through the %s facilitator', (kind) => {
  let chain: LocalChain
  let facilitator: TestFacilitator
  let demo: RunningDemo

  beforeAll(async () => {
    chain = await startLocalChain()
    facilitator = await startTestFacilitator(chain, kind)
    demo = await startDemo(
      parseDemoConfig({
        TOLLGATE_DEMO_PORT: '0',
        TOLLGATE_FACILITATOR_URL: facilitator.url,
        ...(facilitator.apiKey ? { TOLLGATE_FACILITATOR_API_KEY: facilitator.apiKey } : {}),
        TOLLGATE_PAY_TO: chain.accounts.seller.address,
      }),
    )
  })

  afterAll(async () => {
    try {
      await demo?.stop()
    } finally {
      try {
        await facilitator?.stop()
      } finally {
        await chain?.stop()
      }
    }
  })

  function v2Pay(payer: LocalAccount) {
    return wrapFetchWithPayment(fetch, new x402Client().register('eip155:8453', new ExactEvmScheme(payer)))
  }

  async function balances(payer: LocalAccount) {
    const [seller, buyer] = await Promise.all([
      chain.balanceOf(chain.accounts.seller.address),
      chain.balanceOf(payer.address),
    ])
    return { seller, buyer }
  }

  async function expectMined(transaction: string) {
    const receipt = await chain.publicClient.getTransactionReceipt({ hash: transaction as `0x${string}` })
    expect(receipt.status).toBe('success')
  }

  describe('paying the demo', () => {
    test('default: the official v2 client pays the demo; the seller gains exactly the price', async () => {
      const payer = chain.accounts.payers[0]
      const before = await balances(payer)
      const res = await v2Pay(payer)(`${demo.url}/weather?city=Oslo`)
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ city: 'Oslo', paidBy: payer.address })
      const receipt = decodeHeader(settleResponseSchema, res.headers.get('payment-response'))
      expect(receipt).toMatchObject({ success: true, network: 'eip155:8453', payer: payer.address })
      await expectMined(receipt.transaction)
      const after = await balances(payer)
      expect(after.seller - before.seller).toBe(1000n)
      expect(before.buyer - after.buyer).toBe(1000n)
    })

    test('behavior: the legacy v1 client (x402-fetch) pays the demo with X-PAYMENT', async () => {
      const payer = chain.accounts.payers[1]
      const before = await balances(payer)
      const res = await wrapFetchV1(fetch, payer)(`${demo.url}/weather?city=Lima`)
      expect(res.status).toBe(200)
      const receipt = decodeHeader(settleResponseSchema, res.headers.get('x-payment-response'))
      expect(receipt).toMatchObject({ success: true, network: 'base' })
      await expectMined(receipt.transaction)
      const after = await balances(payer)
      expect(after.seller - before.seller).toBe(1000n)
    })

    test('behavior: the dynamic route charges what it quoted for the request', async () => {
      const payer = chain.accounts.payers[2]
      const before = await balances(payer)
      const res = await v2Pay(payer)(`${demo.url}/forecast?city=Paris&days=5`)
      expect(res.status).toBe(200)
      expect((await res.json()).days).toHaveLength(5)
      expect((await balances(payer)).seller - before.seller).toBe(5000n)
    })

    test('behavior: replaying the same payment header is refused, and charges nothing more', async () => {
      const payer = chain.accounts.payers[3]
      const url = `${demo.url}/weather?city=Tokyo`
      let header: string | null = null
      const pay = wrapFetchWithPayment(
        async (input, init) => {
          const request = new Request(input, init)
          header ??= request.headers.get('payment-signature')
          return fetch(request)
        },
        new x402Client().register('eip155:8453', new ExactEvmScheme(payer)),
      )
      const before = await balances(payer)
      expect((await pay(url)).status).toBe(200)
      expect(header).toBeTruthy()
      const replay = await fetch(url, { headers: { 'PAYMENT-SIGNATURE': header as unknown as string } })
      const body = await replay.json()
      if (kind === 'tollgate') {
        // Tollgate's facilitator binds the payment's one delivery to the request that took it.
        expect(replay.status).toBe(409)
        expect(body.error).toBe('payment_already_delivered')
      } else {
        // The official one diagnoses the replay through authorizationState.
        expect(replay.status).toBe(402)
        expect(body.error).toBe('invalid_exact_evm_nonce_already_used')
        expect(body.x402Version).toBe(1)
      }
      const after = await balances(payer)
      expect(after.seller - before.seller).toBe(1000n)
    })

    test('behavior: the same payment sent twice at once is served and charged once', async () => {
      const payer = chain.accounts.payers[7]
      const url = `${demo.url}/weather?city=Paris`
      const { client, http } = (() => {
        const c = new x402Client().register('eip155:8453', new ExactEvmScheme(payer))
        return { client: c, http: new x402HTTPClient(c) }
      })()
      const unpaid = await fetch(url)
      const payload = await client.createPaymentPayload(
        http.getPaymentRequiredResponse((name) => unpaid.headers.get(name)),
      )
      const headers = http.encodePaymentSignatureHeader(payload)
      const before = await balances(payer)
      const responses = await Promise.all([fetch(url, { headers }), fetch(url, { headers })])
      const statuses = responses.map((res) => res.status).sort()
      // The second is refused while the first is in flight (409), or by the facilitator once it is done (402).
      expect(statuses[0]).toBe(200)
      expect([402, 409]).toContain(statuses[1])
      const after = await balances(payer)
      expect(after.seller - before.seller).toBe(1000n)
    })

    test('behavior: a handler that answers >= 400 charges nothing', async () => {
      const payer = chain.accounts.payers[4]
      const before = await balances(payer)
      const res = await v2Pay(payer)(`${demo.url}/weather?city=Atlantis`)
      expect(res.status).toBe(404)
      expect(res.headers.get('payment-response')).toBeNull()
      expect(await balances(payer)).toEqual(before)
    })

    test('behavior: a handler that throws charges nothing', async () => {
      const payer = chain.accounts.payers[5]
      const app = new Hono()
      app.use(
        paymentRequired({
          facilitator: httpFacilitator({
            url: facilitator.url,
            ...(facilitator.apiKey ? { apiKey: facilitator.apiKey } : {}),
          }),
          routes: {
            'GET /boom': { accepts: { network: 'eip155:8453', price: '$0.002', payTo: chain.accounts.seller.address } },
          },
        }),
      )
      app.get('/boom', () => {
        throw new Error('handler failed')
      })
      app.onError((_, c) => c.json({ error: 'internal' }, 500))
      const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
        const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
      })
      try {
        const before = await balances(payer)
        const { port } = server.address() as AddressInfo
        const res = await v2Pay(payer)(`http://127.0.0.1:${port}/boom`)
        expect(res.status).toBe(500)
        expect(await balances(payer)).toEqual(before)
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()))
      }
    })

    test('behavior: settle-before routes charge before serving (even when the handler then answers 404)', async () => {
      const payer = chain.accounts.payers[6]
      const before = await balances(payer)
      const res = await v2Pay(payer)(`${demo.url}/history?city=Lisbon`)
      expect(res.status).toBe(200)
      const body = await res.json()
      const receipt = decodeHeader(settleResponseSchema, res.headers.get('payment-response'))
      // The handler already saw the settled transaction: the charge came first.
      expect(body.transaction).toBe(receipt.transaction)
      await expectMined(receipt.transaction)
      const middle = await balances(payer)
      expect(middle.seller - before.seller).toBe(10_000n)

      const missing = await v2Pay(payer)(`${demo.url}/history?city=Atlantis`)
      expect(missing.status).toBe(404)
      expect(decodeHeader(settleResponseSchema, missing.headers.get('payment-response')).success).toBe(true)
      expect((await balances(payer)).seller - middle.seller).toBe(10_000n)
    })
  })
})

/**
 * Delivery, end to end: each payment is delivered at most once, and a buyer is never charged for
 * nothing. A real anvil, Tollgate's facilitator over HTTP (SQLite ledger, reconciler running), sellers
 * built with `@tollgate/hono` on Node, and payments signed by the official v2 client (`@x402/core` +
 * `@x402/evm`). Balances are read on chain.
 */
import { authorizationId } from '@tollgate/facilitator'
import { httpFacilitator, paymentRequired } from '@tollgate/hono'
import { decodeHeader, type PaymentPayloadV2, paymentPayloadV2Schema, settleResponseSchema } from '@tollgate/protocol'
import { x402Client, x402HTTPClient } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { type Context, Hono } from 'hono'
import type { Address, Hex, LocalAccount } from 'viem'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { createDemoApp } from '../../apps/demo/src/app.ts'
import type { RunningFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { startTestFacilitator, type TestFacilitator } from './facilitators.ts'
import { listen, type Seller } from './listen.ts'

let chain: LocalChain
let tollgate: TestFacilitator
let facilitator: RunningFacilitator
const sellers: Seller[] = []

beforeAll(async () => {
  chain = await startLocalChain()
  tollgate = await startTestFacilitator(chain, 'tollgate', {
    // Short enough that an unmined settlement answers pending at once; the reconciler runs often.
    TOLLGATE_RECEIPT_TIMEOUT_MS: '400',
    TOLLGATE_POLLING_INTERVAL_MS: '50',
    TOLLGATE_RECONCILE_INTERVAL_MS: '500',
  })
  facilitator = tollgate.running as RunningFacilitator
})

afterEach(async () => {
  await chain.testClient.setAutomine(true) // a failed test leaves mining on for the next
  await Promise.all(sellers.splice(0).map((seller) => seller.stop()))
})

afterAll(async () => {
  try {
    await tollgate?.stop()
  } finally {
    await chain?.stop()
  }
})

/** The demo API (`/weather` settles after the handler, `/history` before it) as one seller instance. */
async function demoSeller(options: { fetch?: (request: Request) => Promise<Response> } = {}): Promise<Seller> {
  const app = createDemoApp({
    payTo: chain.accounts.seller.address,
    network: chain.network,
    facilitator: httpFacilitator({
      url: facilitator.url,
      ...(tollgate.apiKey ? { apiKey: tollgate.apiKey } : {}),
      ...options,
    }),
  })
  const seller = await listen(app as unknown as Hono)
  sellers.push(seller)
  return seller
}

/**
 * One payment for `url`, signed by the official v2 client from the seller's 402, as a header; with
 * `paymentId`, carrying the `payment-identifier` extension's id (as `@x402/extensions` writes it).
 */
async function signPayment(payer: LocalAccount, url: string, paymentId?: string) {
  const client = new x402Client().register('eip155:8453', new ExactEvmScheme(payer))
  const http = new x402HTTPClient(client)
  const unpaid = await fetch(url)
  expect(unpaid.status).toBe(402)
  const payload = await client.createPaymentPayload(http.getPaymentRequiredResponse((name) => unpaid.headers.get(name)))
  if (paymentId) payload.extensions = { 'payment-identifier': { info: { required: false, id: paymentId } } }
  const headers = http.encodePaymentSignatureHeader(payload) as Record<string, string>
  const decoded = decodeHeader(paymentPayloadV2Schema, headers['PAYMENT-SIGNATURE'] ?? '') as PaymentPayloadV2
  const { from, nonce } = (decoded.payload as { authorization: { from: Address; nonce: Hex } }).authorization
  const id = authorizationId({ chainId: chain.chainId, asset: chain.usdc, from, nonce })
  return { headers, payload: decoded, id }
}

const sellerBalance = () => chain.balanceOf(chain.accounts.seller.address)

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await read()
    if (done(value) || Date.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('a payment is delivered once', () => {
  test('default: a settle-before payment replayed is refused with payment_already_delivered, charged once', async () => {
    const seller = await demoSeller()
    const other = await demoSeller()
    const payer = chain.accounts.payers[0]
    const url = `${seller.url}/history?city=Lisbon`
    const { headers } = await signPayment(payer, url)
    const before = await sellerBalance()

    const first = await fetch(url, { headers })
    expect(first.status).toBe(200)
    const receipt = decodeHeader(settleResponseSchema, first.headers.get('payment-response'))
    expect(receipt.success).toBe(true)
    expect((await first.json()).transaction).toBe(receipt.transaction)

    // The same header again, to the same instance and to a second one: never served as a new payment.
    for (const target of [url, url, `${other.url}/history?city=Lisbon`]) {
      const replay = await fetch(target, { headers })
      expect(replay.status).toBe(409)
      expect(replay.headers.get('payment-response')).toBeNull()
      expect(await replay.json()).toMatchObject({
        error: 'payment_already_delivered',
        transaction: receipt.transaction,
      })
    }
    expect((await sellerBalance()) - before).toBe(10_000n)
  })

  test('behavior: a settle-after payment replayed is refused too, and charged once', async () => {
    const seller = await demoSeller()
    const url = `${seller.url}/weather?city=Oslo`
    const { headers } = await signPayment(chain.accounts.payers[1], url)
    const before = await sellerBalance()
    expect((await fetch(url, { headers })).status).toBe(200)
    const replay = await fetch(url, { headers })
    expect(replay.status).toBe(409)
    expect((await replay.json()).error).toBe('payment_already_delivered')
    expect((await sellerBalance()) - before).toBe(1000n)
  })

  test('behavior: a copy of the payment cannot release the reservation another request holds', async () => {
    // One seller whose handler waits while it holds the reservation, and a second seller instance.
    let open: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    const build = (wait: boolean) => {
      const app = new Hono()
      app.use(
        paymentRequired({
          facilitator: httpFacilitator({
            url: facilitator.url,
            ...(tollgate.apiKey ? { apiKey: tollgate.apiKey } : {}),
          }),
          routes: {
            'GET /report': {
              accepts: { network: chain.network, price: '$0.003', payTo: chain.accounts.seller.address },
            },
          },
        }),
      )
      app.get('/report', async (c: Context) => {
        if (wait) await gate
        return c.json({ report: 'paid' })
      })
      return app
    }
    const holder = await listen(build(true))
    const second = await listen(build(false))
    sellers.push(holder, second)
    const { headers, payload } = await signPayment(chain.accounts.payers[2], `${holder.url}/report`)
    const before = await sellerBalance()

    const served = fetch(`${holder.url}/report`, { headers })
    await until(
      () => facilitator.facilitator.store.list({ states: ['reserved'] }),
      (rows) => rows.length > 0,
    )
    // What anyone who saw the request can send: the payment with no claim, or with a claim of its own.
    const body = { x402Version: 2, paymentPayload: payload, paymentRequirements: payload.accepted }
    for (const forged of [body, { ...body, tollgate: { claim: 'attacker-claim-0123456789' } }]) {
      // Sent with a valid API key: the facilitator's auth is not what stops it, the claim is.
      const release = await fetch(`${facilitator.url}/release`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tollgate.apiKey}` },
        body: JSON.stringify(forged),
      })
      expect(await release.json()).toEqual({ released: false })
    }
    const elsewhere = await fetch(`${second.url}/report`, { headers })
    expect(elsewhere.status).toBe(409)
    expect((await elsewhere.json()).error).toBe('authorization_in_use')

    open()
    const response = await served
    expect(response.status).toBe(200)
    expect((await sellerBalance()) - before).toBe(3000n)
  })
})

describe('pending resolves, and is never charged for nothing', () => {
  for (const [route, price] of [
    ['/weather?city=Paris', 1000n],
    ['/history?city=Paris', 10_000n],
  ] as const) {
    test(`default: ${route} pending is 202 Retry-After; the facilitator finishes it; the retry is served once`, async () => {
      const seller = await demoSeller()
      const url = `${seller.url}${route}`
      const { headers, id } = await signPayment(chain.accounts.payers[route.startsWith('/weather') ? 3 : 4], url)
      const before = await sellerBalance()

      await chain.testClient.setAutomine(false)
      const pending = await fetch(url, { headers })
      expect(pending.status).toBe(202)
      expect(pending.headers.get('retry-after')).toBe('2')
      const { transaction } = await pending.json()
      expect(transaction).toMatch(/^0x[0-9a-f]{64}$/)
      // Still unmined: the same payment again is pending again, never a new charge or a refusal.
      const again = await fetch(url, { headers })
      expect(again.status).toBe(202)
      expect((await again.json()).error).toBe('settlement_pending')

      // Mined: the facilitator records the outcome by itself, before any seller asks again.
      await chain.testClient.mine({ blocks: 1 })
      await chain.testClient.setAutomine(true)
      const row = await until(
        () => facilitator.facilitator.store.get(id),
        (entry) => entry?.state === 'settled',
      )
      expect(row).toMatchObject({ state: 'settled', transaction })
      expect(row?.deliveredTo).toBeUndefined()

      const served = await fetch(url, { headers })
      expect(served.status).toBe(200)
      expect(decodeHeader(settleResponseSchema, served.headers.get('payment-response'))).toMatchObject({
        success: true,
        transaction,
      })
      expect((await served.json()).city).toBe('Paris')

      const late = await fetch(url, { headers })
      expect(late.status).toBe(409)
      expect((await late.json()).error).toBe('payment_already_delivered')
      expect((await sellerBalance()) - before).toBe(price)
    })
  }

  test('behavior: a payment re-signed under the same payment-identifier is never charged twice', async () => {
    const seller = await demoSeller()
    const url = `${seller.url}/weather?city=Lima`
    const payer = chain.accounts.payers[6]
    const paymentId = 'pay_7d5d747be160e280504c099d984bcfe0'
    const first = await signPayment(payer, url, paymentId)
    const before = await chain.balanceOf(payer.address)

    await chain.testClient.setAutomine(false)
    const pending = await fetch(url, { headers: first.headers })
    expect(pending.status).toBe(202)
    const { transaction } = await pending.json()
    // The client gives up on the first header and signs again (a new nonce), under the same id.
    const second = await signPayment(payer, url, paymentId)
    expect(second.id).not.toBe(first.id)
    const again = await fetch(url, { headers: second.headers })
    expect(again.status).toBe(202)
    expect((await again.json()).transaction).toBe(transaction)
    // Someone who saw the id forges a payload in the payer's name (another nonce, a signature of its own):
    // it does not verify, so it is refused, and it cannot take the payer's delivery later.
    const authorization = (second.payload.payload as { authorization: Record<string, string> }).authorization
    const forged = {
      ...second.payload,
      payload: {
        signature: `0x${'1b'.repeat(65)}`,
        authorization: { ...authorization, nonce: `0x${'77'.repeat(32)}` },
      },
    }
    const refused = await fetch(url, { headers: { 'PAYMENT-SIGNATURE': btoa(JSON.stringify(forged)) } })
    expect(refused.status).toBe(402)
    expect((await refused.json()).error).toMatch(/signature/)
    await chain.testClient.mine({ blocks: 1 })
    await chain.testClient.setAutomine(true)

    const served = await fetch(url, { headers: second.headers })
    expect(served.status).toBe(200)
    expect(decodeHeader(settleResponseSchema, served.headers.get('payment-response')).transaction).toBe(transaction)
    const late = await fetch(url, { headers: first.headers })
    expect(late.status).toBe(409)
    expect((await late.json()).error).toBe('payment_already_delivered')
    expect(before - (await chain.balanceOf(payer.address))).toBe(1000n)
    expect(await facilitator.facilitator.store.get(second.id)).toBeUndefined()
  })

  test('behavior: a lost /settle answer is learned on the retry, and the delivery is not lost', async () => {
    let drop = true
    const seller = await demoSeller({
      // The settle call reaches the facilitator, which settles; its answer never reaches the seller.
      fetch: async (request) => {
        const response = await fetch(request)
        if (drop && new URL(request.url).pathname === '/settle') {
          drop = false
          await response.body?.cancel()
          throw new TypeError('fetch failed: connection reset')
        }
        return response
      },
    })
    const url = `${seller.url}/history?city=Tokyo`
    const { headers, id } = await signPayment(chain.accounts.payers[5], url)
    const before = await sellerBalance()

    const lost = await fetch(url, { headers })
    expect(lost.status).toBe(502)
    expect((await facilitator.facilitator.store.get(id))?.state).toBe('settled')

    const retry = await fetch(url, { headers })
    expect(retry.status).toBe(200)
    expect(decodeHeader(settleResponseSchema, retry.headers.get('payment-response')).success).toBe(true)
    const replay = await fetch(url, { headers })
    expect(replay.status).toBe(409)
    expect((await sellerBalance()) - before).toBe(10_000n)
  })
})

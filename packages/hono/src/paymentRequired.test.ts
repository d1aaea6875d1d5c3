import {
  decodeHeader,
  encodeHeader,
  type FacilitatorRequestV1,
  type FacilitatorRequestV2,
  facilitatorRequestSchema,
  paymentRequiredV2Schema,
  settleResponseSchema,
} from '@tollgate/protocol'
import { x402Client, x402HTTPClient } from '@x402/core/client'
import { PaymentRequiredV2Schema } from '@x402/core/schemas'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { wrapFetchWithPayment } from '@x402/fetch'
import { Hono } from 'hono'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { PaymentRequirementsSchema as LegacyRequirementsSchema } from 'x402/types'
import { wrapFetchWithPayment as wrapFetchV1 } from 'x402-fetch'
import type { SettleResult, VerifyResult } from './facilitator.ts'
import { httpFacilitator } from './httpFacilitator.ts'
import { type PaymentRequiredOptions, paymentRequired } from './paymentRequired.ts'

// anvil dev account #2 (a public test key) pays; account #1 is the seller.
const payer = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a')
const payTo = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const usdc = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913'
const txHash = `0x${'ab'.repeat(32)}`

type Call = { endpoint: 'verify' | 'settle'; body: FacilitatorRequestV1 | FacilitatorRequestV2 }

/** A facilitator at the HTTP level, behind httpFacilitator's injectable fetch. */
function fakeFacilitator() {
  const calls: Call[] = []
  const state = {
    verify: (body: Call['body']): [number, unknown] => [
      200,
      { isValid: true, payer: (body.paymentPayload.payload as { authorization: { from: string } }).authorization.from },
    ],
    settle: (body: Call['body']): [number, unknown] => [
      200,
      {
        success: true,
        transaction: txHash,
        network: body.paymentRequirements.network,
        payer: payer.address,
      },
    ],
  }
  const server = new Hono()
  for (const endpoint of ['verify', 'settle'] as const) {
    server.post(`/${endpoint}`, async (c) => {
      const body = facilitatorRequestSchema.parse(await c.req.json())
      calls.push({ endpoint, body })
      const [status, answer] = state[endpoint](body)
      return c.json(answer, status as 200)
    })
  }
  const facilitator = httpFacilitator({
    url: 'http://facilitator.test',
    fetch: async (request) => server.request(request),
  })
  return { calls, state, facilitator }
}

type Bindings = { PAY_TO: string; PRICE: string }

function demoApp(options: Partial<PaymentRequiredOptions<{ Bindings: Bindings }>> = {}) {
  const fake = fakeFacilitator()
  const app = new Hono<{ Bindings: Bindings }>()
  const served: string[] = []
  app.use(
    paymentRequired<{ Bindings: Bindings }>({
      facilitator: fake.facilitator,
      routes: {
        'GET /weather': {
          accepts: { network: 'eip155:8453', price: '$0.001', payTo },
          description: 'Current weather',
        },
        'GET /forecast/:city': {
          accepts: [
            { network: 'base', price: (c) => c.env.PRICE as `$${string}`, payTo: (c) => c.env.PAY_TO },
            { network: 'eip155:84532', price: 2000n, payTo, maxTimeoutSeconds: 60 },
          ],
          description: 'Forecast',
          outputSchema: { output: { type: 'object' } },
        },
        'POST /report': { accepts: { network: 'eip155:8453', price: '10000', payTo }, settle: 'before' },
        'GET /broken': { accepts: { network: 'eip155:8453', price: '$0.001', payTo } },
        'GET /teapot': { accepts: { network: 'eip155:8453', price: '$0.001', payTo } },
      },
      ...options,
    }),
  )
  app.get('/weather', (c) => {
    served.push('weather')
    const payment = c.get('payment')
    return c.json({ tempC: 21, payer: payment.payer, amount: payment.amount.toString(), version: payment.x402Version })
  })
  app.get('/forecast/:city', (c) => {
    served.push('forecast')
    return c.json({ city: c.req.param('city'), days: 3 })
  })
  app.post('/report', (c) => {
    served.push('report')
    const payment = c.get('payment')
    return c.json({ settled: payment.settlement?.transaction })
  })
  app.get('/broken', () => {
    served.push('broken')
    throw new Error('boom')
  })
  app.get('/teapot', (c) => {
    served.push('teapot')
    return c.json({ error: 'short and stout' }, 418)
  })
  app.get('/free', (c) => c.json({ free: true }))
  app.onError((_, c) => c.json({ error: 'internal' }, 500))
  const env: Bindings = { PAY_TO: payTo.toLowerCase(), PRICE: '$0.005' }
  const request = async (path: string, init?: RequestInit): Promise<Response> =>
    app.request(`http://api.test${path}`, init, env)
  return { app, fake, served, env, request }
}

function officialClient() {
  const client = new x402Client().register('eip155:*', new ExactEvmScheme(payer))
  return { client, http: new x402HTTPClient(client) }
}

/** Pays for `path` the way @x402/fetch does, returning the PAYMENT-SIGNATURE header value. */
async function v2Header(request: (path: string, init?: RequestInit) => Promise<Response>, path: string) {
  const { client, http } = officialClient()
  const unpaid = await request(path)
  const required = http.getPaymentRequiredResponse((name) => unpaid.headers.get(name))
  const payload = await client.createPaymentPayload(required)
  return http.encodePaymentSignatureHeader(payload)['PAYMENT-SIGNATURE'] as string
}

describe('unpaid requests', () => {
  test('default: 402 with the v2 header and the v1 body carrying the same offer', async () => {
    const { request } = demoApp()
    const res = await request('/weather')
    expect(res.status).toBe(402)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-expose-headers')).toBe(
      'PAYMENT-REQUIRED,PAYMENT-RESPONSE,X-PAYMENT-RESPONSE',
    )
    const header = res.headers.get('payment-required')
    const required = decodeHeader(paymentRequiredV2Schema, header)
    expect(PaymentRequiredV2Schema.safeParse(required).success).toBe(true)
    expect(required).toMatchInlineSnapshot(`
      {
        "accepts": [
          {
            "amount": "1000",
            "asset": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
            "extra": {
              "name": "USD Coin",
              "version": "2",
            },
            "maxTimeoutSeconds": 300,
            "network": "eip155:8453",
            "payTo": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            "scheme": "exact",
          },
        ],
        "error": "payment_required",
        "resource": {
          "description": "Current weather",
          "mimeType": "application/json",
          "url": "http://api.test/weather",
        },
        "x402Version": 2,
      }
    `)
    const body = await res.json()
    expect(body).toMatchInlineSnapshot(`
      {
        "accepts": [
          {
            "asset": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
            "description": "Current weather",
            "extra": {
              "name": "USD Coin",
              "version": "2",
            },
            "maxAmountRequired": "1000",
            "maxTimeoutSeconds": 300,
            "mimeType": "application/json",
            "network": "base",
            "payTo": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            "resource": "http://api.test/weather",
            "scheme": "exact",
          },
        ],
        "error": "payment_required",
        "x402Version": 1,
      }
    `)
    // The strict legacy x402@1 client parses every offer.
    for (const offer of body.accepts) expect(LegacyRequirementsSchema.parse(offer)).toEqual(offer)
  })

  test('behavior: identical quotes on every request, dynamic routes included', async () => {
    const { request } = demoApp()
    for (const path of ['/weather', '/forecast/paris']) {
      const [a, b] = await Promise.all([request(path), request(path)])
      expect(a.headers.get('payment-required')).toBe(b.headers.get('payment-required'))
      expect(await a.text()).toBe(await b.text())
    }
  })

  test('behavior: dynamic price and payTo come from c.env, payTo checksummed; v2-only networks stay out of v1', async () => {
    const { request } = demoApp()
    const res = await request('/forecast/paris')
    const required = decodeHeader(paymentRequiredV2Schema, res.headers.get('payment-required'))
    expect(
      required.accepts.map((offer) => [offer.network, offer.amount, offer.payTo, offer.maxTimeoutSeconds]),
    ).toMatchInlineSnapshot(`
        [
          [
            "eip155:8453",
            "5000",
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            300,
          ],
          [
            "eip155:84532",
            "2000",
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            60,
          ],
        ]
      `)
    expect(required.accepts[1]?.asset).toBe('0x036CbD53842c5426634e7929541eC2318f3dCF7e')
    expect(required.accepts[1]?.extra).toEqual({ name: 'USDC', version: '2' })
    const body = await res.json()
    expect(body.accepts.map((offer: { network: string }) => offer.network)).toEqual(['base', 'base-sepolia'])
    expect(body.accepts[0].outputSchema).toEqual({ output: { type: 'object' } })
    for (const offer of body.accepts) LegacyRequirementsSchema.parse(offer)
  })

  test('behavior: routes that match nothing pass through untouched', async () => {
    const { request } = demoApp()
    const res = await request('/free')
    expect(res.status).toBe(200)
    expect(res.headers.get('payment-required')).toBeNull()
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    expect((await request('/weather', { method: 'POST' })).status).toBe(404)
  })

  test('behavior: HEAD is guarded like GET', async () => {
    const { request, served } = demoApp()
    const res = await request('/weather', { method: 'HEAD' })
    expect(res.status).toBe(402)
    expect(res.headers.get('payment-required')).toBeTruthy()
    expect(served).toEqual([])
  })

  test('behavior: browsers get an HTML paywall with the price, and still the header', async () => {
    const { request } = demoApp()
    const res = await request('/weather', { headers: { accept: 'text/html,application/xhtml+xml' } })
    expect(res.status).toBe(402)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('payment-required')).toBeTruthy()
    const html = await res.text()
    expect(html).toContain('<strong>0.001 USDC</strong>')
    expect(html).toContain('Base <small>(eip155:8453)</small>')
    expect(html).toContain('Current weather')
    const json = await demoApp({ paywall: false }).request('/weather', { headers: { accept: 'text/html' } })
    expect(json.headers.get('content-type')).toBe('application/json')
    const custom = await demoApp({ paywall: (info) => `<p>${info.offers[0]?.display}</p>` }).request('/weather', {
      headers: { accept: 'text/html' },
    })
    expect(await custom.text()).toBe('<p>0.001</p>')
  })

  test('behavior: the paywall escapes what it shows', async () => {
    const { request } = demoApp({
      routes: {
        'GET /weather': {
          accepts: { network: 'base', price: '$0.25', payTo },
          description: '<script>alert(1)</script>',
        },
      },
    })
    const html = await (await request('/weather?a="><b>', { headers: { accept: 'text/html' } })).text()
    expect(html).not.toContain('<script>')
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).not.toContain('"><b>')
  })

  test('behavior: CORS preflight lets browsers send the payment headers', async () => {
    const { request } = demoApp()
    const res = await request('/weather', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.test',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'payment-signature',
      },
    })
    expect(res.status).toBe(204)
    expect(Object.fromEntries(res.headers)).toMatchInlineSnapshot(`
      {
        "access-control-allow-headers": "PAYMENT-SIGNATURE,X-PAYMENT,Access-Control-Expose-Headers,Content-Type,payment-signature",
        "access-control-allow-methods": "GET,OPTIONS",
        "access-control-allow-origin": "*",
        "access-control-expose-headers": "PAYMENT-REQUIRED,PAYMENT-RESPONSE,X-PAYMENT-RESPONSE",
        "access-control-max-age": "600",
        "vary": "Access-Control-Request-Headers",
      }
    `)
    const withoutCors = await demoApp({ cors: false }).request('/weather')
    expect(withoutCors.headers.get('access-control-allow-origin')).toBeNull()
    const fixed = await demoApp({ cors: { origin: 'https://app.test' } }).request('/weather')
    expect(fixed.headers.get('access-control-allow-origin')).toBe('https://app.test')
    expect(fixed.headers.get('vary')).toBe('Origin')
  })

  test('behavior: a fixed resource URL is advertised as given', async () => {
    const { request } = demoApp({
      routes: {
        'GET /weather': {
          accepts: { network: 'base', price: '$0.01', payTo },
          resource: 'https://api.example.com/weather',
        },
      },
    })
    const required = decodeHeader(
      paymentRequiredV2Schema,
      (await request('/weather?x=1')).headers.get('payment-required'),
    )
    expect(required.resource.url).toBe('https://api.example.com/weather')
    expect(required.accepts[0]?.amount).toBe('10000')
  })
})

describe('paid requests', () => {
  test('default: the official v2 client pays; verify, handler, settle, PAYMENT-RESPONSE', async () => {
    const { app, env, fake, served } = demoApp()
    const pay = wrapFetchWithPayment(
      async (input, init) => app.request(new Request(input, init), undefined, env),
      officialClient().client,
    )
    const res = await pay('http://api.test/weather')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ tempC: 21, payer: payer.address, amount: '1000', version: 2 })
    expect(served).toEqual(['weather'])
    expect(fake.calls.map((call) => call.endpoint)).toEqual(['verify', 'settle'])
    const [verify] = fake.calls
    expect(verify?.body.x402Version).toBe(2)
    expect(verify?.body.paymentRequirements).toEqual({
      scheme: 'exact',
      network: 'eip155:8453',
      amount: '1000',
      asset: usdc,
      payTo,
      maxTimeoutSeconds: 300,
      extra: { name: 'USD Coin', version: '2' },
    })
    const receipt = decodeHeader(settleResponseSchema, res.headers.get('payment-response'))
    expect(receipt).toEqual({ success: true, transaction: txHash, network: 'eip155:8453', payer: payer.address })
    expect(res.headers.get('x-payment-response')).toBeNull()
    expect(res.headers.get('cache-control')).toBe('private')
    expect(res.headers.get('access-control-expose-headers')).toContain('PAYMENT-RESPONSE')
  })

  test('behavior: the legacy v1 client (x402-fetch) pays with X-PAYMENT; v1 shapes go to the facilitator', async () => {
    const { request, fake } = demoApp()
    const pay = wrapFetchV1((_input: RequestInfo | URL, init?: RequestInit) => request('/weather', init), payer)
    const res = await pay('http://api.test/weather')
    expect(res.status).toBe(200)
    expect((await res.json()).version).toBe(1)
    const [verify, settle] = fake.calls
    expect(verify?.body.x402Version).toBe(1)
    expect(verify?.body.paymentPayload).toMatchObject({ x402Version: 1, scheme: 'exact', network: 'base' })
    expect(verify?.body.paymentRequirements).toMatchObject({
      network: 'base',
      maxAmountRequired: '1000',
      resource: 'http://api.test/weather',
    })
    expect(settle?.body).toEqual(verify?.body)
    expect(res.headers.get('x-payment-response')).toBe(res.headers.get('payment-response'))
  })

  test('behavior: a dynamic route is paid on the offer it quoted', async () => {
    const { request, fake } = demoApp()
    const header = await v2Header(request, '/forecast/paris')
    const res = await request('/forecast/paris', { headers: { 'PAYMENT-SIGNATURE': header } })
    expect(res.status).toBe(200)
    expect(fake.calls[0]?.body.paymentRequirements).toMatchObject({ amount: '5000', payTo })
  })

  test('behavior: a handler error or a status >= 400 charges nothing', async () => {
    const { request, fake, served } = demoApp()
    const broken = await request('/broken', { headers: { 'PAYMENT-SIGNATURE': await v2Header(request, '/broken') } })
    expect(broken.status).toBe(500)
    const teapot = await request('/teapot', { headers: { 'PAYMENT-SIGNATURE': await v2Header(request, '/teapot') } })
    expect(teapot.status).toBe(418)
    expect(teapot.headers.get('payment-response')).toBeNull()
    expect(served).toEqual(['broken', 'teapot'])
    expect(fake.calls.map((call) => call.endpoint)).toEqual(['verify', 'verify'])
  })

  test('behavior: a failed settlement withholds the content: 402 with the reason', async () => {
    const { request, fake } = demoApp()
    fake.state.settle = (body) => [
      200,
      {
        success: false,
        errorReason: 'invalid_exact_evm_nonce_already_used',
        transaction: '',
        network: body.paymentRequirements.network,
        payer: payer.address,
      },
    ]
    const res = await request('/weather', { headers: { 'PAYMENT-SIGNATURE': await v2Header(request, '/weather') } })
    expect(res.status).toBe(402)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = await res.json()
    expect(body.error).toBe('invalid_exact_evm_nonce_already_used')
    expect(body.tempC).toBeUndefined()
    expect(decodeHeader(paymentRequiredV2Schema, res.headers.get('payment-required')).error).toBe(
      'invalid_exact_evm_nonce_already_used',
    )
    expect(decodeHeader(settleResponseSchema, res.headers.get('payment-response'))).toMatchObject({
      success: false,
      errorReason: 'invalid_exact_evm_nonce_already_used',
    })
  })

  test('behavior: a pending settlement is 202 with the transaction, never a new 402', async () => {
    const { request, fake } = demoApp()
    fake.state.settle = (body) => [
      200,
      {
        success: false,
        errorReason: 'settlement_pending',
        transaction: txHash,
        network: body.paymentRequirements.network,
      },
    ]
    const res = await request('/weather', { headers: { 'PAYMENT-SIGNATURE': await v2Header(request, '/weather') } })
    expect(res.status).toBe(202)
    expect(res.headers.get('payment-required')).toBeNull()
    expect(res.headers.get('retry-after')).toBe('2')
    expect(await res.json()).toEqual({
      error: 'settlement_pending',
      message: 'The payment was submitted and is not confirmed yet. Do not pay again: send the same payment again.',
      transaction: txHash,
      network: 'eip155:8453',
    })
    expect(decodeHeader(settleResponseSchema, res.headers.get('payment-response')).transaction).toBe(txHash)
  })

  test('behavior: settle-before routes charge before the handler runs, whatever it answers', async () => {
    const { request, fake, served } = demoApp()
    const order: string[] = []
    const settle = fake.state.settle
    fake.state.settle = (body) => {
      order.push(`settle (served: ${served.length})`)
      return settle(body)
    }
    const header = await v2Header((path, init) => request(path, { ...init, method: 'POST' }), '/report')
    const res = await request('/report', { method: 'POST', headers: { 'PAYMENT-SIGNATURE': header } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ settled: txHash })
    expect(order).toEqual(['settle (served: 0)'])
    expect(fake.calls.map((call) => call.endpoint)).toEqual(['settle'])
    expect(decodeHeader(settleResponseSchema, res.headers.get('payment-response')).success).toBe(true)
  })

  test('behavior: a failed settle-before charge never runs the handler', async () => {
    const { request, fake, served } = demoApp()
    fake.state.settle = (body) => [
      200,
      {
        success: false,
        errorReason: 'invalid_exact_evm_insufficient_balance',
        transaction: '',
        network: body.paymentRequirements.network,
      },
    ]
    const header = await v2Header((path, init) => request(path, { ...init, method: 'POST' }), '/report')
    const res = await request('/report', { method: 'POST', headers: { 'PAYMENT-SIGNATURE': header } })
    expect(res.status).toBe(402)
    expect(served).toEqual([])
  })

  test('behavior: a refused verification is a 402 with the reason and the quote; the handler never runs', async () => {
    const { request, fake, served } = demoApp()
    fake.state.verify = () => [
      200,
      { isValid: false, invalidReason: 'invalid_exact_evm_signature', payer: payer.address },
    ]
    const res = await request('/weather', { headers: { 'PAYMENT-SIGNATURE': await v2Header(request, '/weather') } })
    expect(res.status).toBe(402)
    expect(await res.json()).toMatchObject({
      x402Version: 1,
      error: 'invalid_exact_evm_signature',
      payer: payer.address,
    })
    expect(served).toEqual([])
  })

  test('behavior: a replayed payment refused by the facilitator is a clean 402', async () => {
    const { request, fake } = demoApp()
    const header = await v2Header(request, '/weather')
    expect((await request('/weather', { headers: { 'PAYMENT-SIGNATURE': header } })).status).toBe(200)
    fake.state.verify = () => [200, { isValid: false, invalidReason: 'invalid_exact_evm_nonce_already_used' }]
    const replay = await request('/weather', { headers: { 'PAYMENT-SIGNATURE': header } })
    expect(replay.status).toBe(402)
    expect((await replay.json()).error).toBe('invalid_exact_evm_nonce_already_used')
  })

  test('behavior: the same payment sent again while the first is in flight is 409 authorization_in_use', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const { request } = demoApp({
      facilitator: {
        verify: async (): Promise<VerifyResult> => {
          await gate
          return { ok: true, payer: payer.address, response: { isValid: true } }
        },
        settle: async (call): Promise<SettleResult> => ({
          ok: true,
          response: { success: true, transaction: txHash, network: call.paymentRequirements.network },
        }),
      },
    })
    const header = await v2Header(request, '/weather')
    const first = request('/weather', { headers: { 'PAYMENT-SIGNATURE': header } })
    const second = await request('/weather', { headers: { 'PAYMENT-SIGNATURE': header } })
    expect(second.status).toBe(409)
    expect(await second.json()).toMatchObject({ error: 'authorization_in_use' })
    release()
    expect((await first).status).toBe(200)
  })

  test('behavior: a facilitator that is down or throws is a 502, never a 500', async () => {
    const { request, fake } = demoApp()
    fake.state.verify = () => [503, { error: 'maintenance' }]
    const down = await request('/weather', { headers: { 'PAYMENT-SIGNATURE': await v2Header(request, '/weather') } })
    expect(down.status).toBe(502)
    expect(await down.json()).toMatchObject({ error: 'facilitator_unavailable' })

    const throwing = demoApp({
      facilitator: {
        verify: async (): Promise<VerifyResult> => {
          throw new Error('socket hang up')
        },
        settle: async (): Promise<SettleResult> => ({ ok: false, code: 'payment_rejected', reason: 'x' }),
      },
    })
    const res = await throwing.request('/weather', {
      headers: { 'PAYMENT-SIGNATURE': await v2Header(throwing.request, '/weather') },
    })
    expect(res.status).toBe(502)
    expect(await res.json()).toEqual({
      error: 'facilitator_unavailable',
      reason: 'facilitator_unavailable',
      message: 'socket hang up',
    })
  })
})

describe('malformed payments', () => {
  test.each([
    ['not base64', '%%%', 'invalid_payload'],
    ['base64url', encodeHeader({ x402Version: 2 }).replace(/=+$/, '').replace(/\+/g, '-'), 'invalid_payload'],
    ['not JSON', btoa('hello'), 'invalid_payload'],
    ['wrong schema', encodeHeader({ x402Version: 3, payload: {} }), 'invalid_payload'],
    ['empty', '', 'invalid_payload'],
    ['oversized', 'A'.repeat(20_000), 'payload_too_large'],
  ])('behavior: %s → 400 %s, the facilitator is not called', async (_, value, code) => {
    const { request, fake } = demoApp()
    for (const name of ['PAYMENT-SIGNATURE', 'X-PAYMENT']) {
      const res = await request('/weather', { headers: { [name]: value } })
      expect(res.status).toBe(400)
      expect((await res.json()).error).toBe(code)
    }
    expect(fake.calls).toEqual([])
  })

  test('behavior: a payment for another offer is 402 payment_requirements_mismatch', async () => {
    const { request, fake } = demoApp()
    const header = await v2Header(request, '/weather')
    const payload = JSON.parse(atob(header))
    for (const tamper of [{ amount: '1' }, { payTo: payTo.toLowerCase() }, { maxTimeoutSeconds: 60 }, { extra: {} }]) {
      const forged = encodeHeader({ ...payload, accepted: { ...payload.accepted, ...tamper } })
      const res = await request('/weather', { headers: { 'PAYMENT-SIGNATURE': forged } })
      expect(res.status).toBe(402)
      expect((await res.json()).error).toBe('payment_requirements_mismatch')
    }
    const v1 = encodeHeader({ x402Version: 1, scheme: 'exact', network: 'polygon', payload: {} })
    expect((await request('/weather', { headers: { 'X-PAYMENT': v1 } })).status).toBe(402)
    expect(fake.calls).toEqual([])
  })
})

describe('configuration', () => {
  const facilitator = fakeFacilitator().facilitator
  const build =
    (routes: unknown, extra: Record<string, unknown> = {}) =>
    () =>
      paymentRequired({ facilitator, routes, ...extra } as PaymentRequiredOptions)

  test('behavior: bad configuration throws at construction, naming the route and field', () => {
    expect(
      build({ 'GET /a': { accepts: { network: 'base', price: '0.01', payTo } } }),
    ).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: paymentRequired: routes["GET /a"].accepts.price: An atomic amount must be a non-negative decimal integer string such as "10000". (for a price in dollars write "$0.001")
      Received: "0.01"]
    `)
    expect(
      build({ 'GET /a': { accepts: { network: 'base', price: '$0.0000001', payTo } } }),
    ).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: paymentRequired: routes["GET /a"].accepts.price: A price has at most 6 decimals for this asset.
      Received: "$0.0000001"]
    `)
    expect(
      build({ 'GET /a': { accepts: [{ network: 'base', price: 0.01, payTo }] } }),
    ).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: paymentRequired: routes["GET /a"].accepts[0].price: must be "$0.001", an atomic amount as a bigint or an integer string
      Received: 0.01]
    `)
    expect(build({ 'GET /a': { accepts: { network: 'base', price: '$0', payTo } } })).toThrow(
      'routes["GET /a"].accepts.price: must be greater than zero',
    )
    expect(
      build({ 'GET /a': { accepts: { network: 'base', price: '$1', payTo: '0x123' } } }),
    ).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: paymentRequired: routes["GET /a"].accepts.payTo: must be a 0x-prefixed 20-byte hex address with a valid EIP-55 checksum if mixed-case
      Received: "0x123"]
    `)
    expect(
      build({
        'GET /a': { accepts: { network: 'base', price: '$1', payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79c8' } },
      }),
    ).toThrow('routes["GET /a"].accepts.payTo: must be a 0x-prefixed 20-byte hex address with a valid EIP-55 checksum')
    expect(build({ 'GET /a': { accepts: { network: 'solana', price: '$1', payTo } } })).toThrow(
      'routes["GET /a"].accepts.network: must be a CAIP-2 id',
    )
    expect(build({ 'GET /a': { accepts: { network: 'eip155:1', price: '$1', payTo } } })).toThrow(
      'routes["GET /a"].accepts.asset: no default asset for eip155:1',
    )
    expect(build({ 'GET /a': { accepts: [] } })).toThrow('routes["GET /a"].accepts: needs at least one offer')
    expect(build({ 'GET /a': { accepts: { network: 'base', price: '$1', payTo }, settle: 'later' } })).toThrow(
      'routes["GET /a"].settle: must be "after" or "before"',
    )
    expect(build({ 'GET /a': { accepts: { network: 'base', price: '$1', payTo, maxTimeoutSeconds: 0 } } })).toThrow(
      'routes["GET /a"].accepts.maxTimeoutSeconds: must be a positive integer',
    )
    expect(build({ 'get weather': { accepts: { network: 'base', price: '$1', payTo } } })).toThrow(
      'routes["get weather"]: the key must be "METHOD /path" or "/path"',
    )
    expect(build({})).toThrow('paymentRequired: routes: needs at least one route')
    expect(() => paymentRequired({ routes: {}, facilitator: {} } as unknown as PaymentRequiredOptions)).toThrow(
      'paymentRequired: facilitator must have verify() and settle()',
    )
  })

  test('behavior: a custom asset and atomic prices as bigint or integer string', async () => {
    const app = new Hono()
    app.use(
      paymentRequired({
        facilitator,
        routes: {
          '/token': {
            accepts: [
              {
                network: 'eip155:8453',
                price: 5n,
                payTo,
                asset: {
                  address: '0x4200000000000000000000000000000000000006',
                  decimals: 18,
                  name: 'Wrapped Ether',
                  version: '1',
                },
              },
              { network: 'eip155:8453', price: '7', payTo },
            ],
          },
        },
      }),
    )
    const required = decodeHeader(
      paymentRequiredV2Schema,
      (await app.request('/token', { method: 'PUT' })).headers.get('payment-required'),
    )
    expect(required.accepts.map((offer) => [offer.amount, offer.asset, offer.extra])).toEqual([
      ['5', '0x4200000000000000000000000000000000000006', { name: 'Wrapped Ether', version: '1' }],
      ['7', usdc, { name: 'USD Coin', version: '2' }],
    ])
  })
})

import { decodeHeader, paymentRequiredV2Schema } from '@tollgate/protocol'
import { PaymentRequiredV2Schema } from '@x402/core/schemas'
import { describe, expect, test } from 'vitest'
import { PaymentRequirementsSchema as LegacyRequirementsSchema } from 'x402/types'
import { demoApp, payTo } from '../test/demoApp.ts'

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

import { decodeHeader, paymentRequiredV2Schema } from '@tollgate/protocol'
import { validateDiscoveryExtension } from '@x402/extensions/bazaar'
import { Hono } from 'hono'
import { describe, expect, test } from 'vitest'
import * as z from 'zod'
import type { FacilitatorClient } from '../facilitator/facilitatorClient.ts'
import { paymentRequired } from '../paymentRequired.ts'
import type { RoutesOptions } from '../routes/routes.ts'

const payTo = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const offer = { network: 'eip155:8453', price: '$0.001', payTo } as const
const facilitator: FacilitatorClient = {
  verify: async () => {
    throw new Error('verify must not be called')
  },
  settle: async () => {
    throw new Error('settle must not be called')
  },
}

function appWith(routes: RoutesOptions) {
  const app = new Hono()
  app.use(paymentRequired({ facilitator, routes, paywall: false }))
  app.all('*', (c) => c.text('served'))
  return app
}

async function bazaar(res: Response) {
  expect(res.status).toBe(402)
  return decodeHeader(paymentRequiredV2Schema, res.headers.get('payment-required')).extensions?.bazaar as never
}

describe('input checked before the quote', () => {
  test('default: a zod query schema refuses a bad value with 400 naming it; a good one gets the quote', async () => {
    const app = appWith({
      'GET /forecast': { accepts: offer, input: { query: z.object({ days: z.coerce.number().int().min(1).max(7) }) } },
    })
    const bad = await app.request('/forecast?days=abc')
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ error: 'invalid_request', issues: [{ in: 'query', path: 'days' }] })
    expect((await app.request('/forecast')).status).toBe(400) // days is required
    expect((await app.request('/forecast?days=7')).status).toBe(402)
  })

  test('behavior: JSON Schema params and body are checked before the quote', async () => {
    const app = new Hono()
    app.use(
      paymentRequired({
        facilitator,
        paywall: false,
        routes: {
          'POST /orders/:id': {
            accepts: offer,
            input: {
              params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
              body: { type: 'object', properties: { qty: { type: 'integer' } }, required: ['qty'] },
            },
            example: { params: { id: 7 }, body: { qty: 2 } },
          },
        },
      }),
    )
    const post = (path: string, body: string) =>
      app.request(path, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
    const badId = await post('/orders/x', '{"qty":1}')
    expect(badId.status).toBe(400)
    expect((await badId.json()).issues).toMatchObject([{ in: 'path', path: 'id' }])
    const badBody = await post('/orders/3', '{"qty":"many"}')
    expect((await badBody.json()).issues).toMatchObject([{ in: 'body', path: 'qty' }])
    expect((await (await post('/orders/3', 'not json')).json()).issues).toMatchObject([{ in: 'body', path: '' }])
    const quoted = await bazaar(await post('/orders/3', '{"qty":1}'))
    expect(quoted).toMatchObject({
      routeTemplate: '/orders/:id',
      info: { input: { type: 'http', method: 'POST', bodyType: 'json', body: { qty: 2 }, pathParams: { id: 3 } } },
    })
    expect(validateDiscoveryExtension(quoted)).toEqual({ valid: true })
  })
})

describe('bazaar extension', () => {
  test('default: a route without metadata has no bazaar extension; discoverable: false leaves it out', async () => {
    const app = appWith({
      'GET /plain': { accepts: offer },
      'GET /hidden': { accepts: offer, input: { query: z.object({ q: z.string() }) }, discoverable: false },
    })
    expect(await bazaar(await app.request('/plain'))).toBeUndefined()
    expect(await bazaar(await app.request('/hidden?q=1'))).toBeUndefined()
    expect((await app.request('/hidden')).status).toBe(400)
  })

  test('behavior: a parameterised route under a base path publishes its full template', async () => {
    const sub = new Hono()
    sub.use(
      paymentRequired({
        facilitator,
        paywall: false,
        routes: { 'GET /weather/:city': { accepts: offer, output: z.object({ tempC: z.number() }) } },
      }),
    )
    sub.get('/weather/:city', (c) => c.text('x'))
    const app = new Hono()
    app.route('/api', sub)
    const extension = await bazaar(await app.request('/api/weather/S%C3%A3o%20Paulo'))
    expect(extension).toMatchObject({
      routeTemplate: '/api/weather/:city',
      info: { input: { pathParams: { city: 'São Paulo' } } },
    })
    expect(validateDiscoveryExtension(extension)).toEqual({ valid: true })
  })

  test('behavior: misdescribed routes are ConfigErrors at startup', () => {
    expect(() => appWith({ '/any': { accepts: offer, input: { query: z.object({}) } } })).toThrow(/needs one of GET/)
    expect(() =>
      appWith({
        'GET /w': {
          accepts: offer,
          input: { query: z.object({ days: z.coerce.number().max(7) }) },
          example: { query: { days: 9 } },
        },
      }),
    ).toThrow(/example\.query: does not match input\.query: days/)
    expect(() =>
      appWith({
        'GET /w': {
          accepts: offer,
          output: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
          example: { output: {} },
        },
      }),
    ).toThrow(/example\.output/)
    expect(() => appWith({ 'GET /w': { accepts: offer, input: { body: z.object({}) } } })).toThrow(/has no body/)
    expect(() =>
      appWith({ 'GET /w/:id': { accepts: offer, input: { params: z.object({ other: z.string() }) } } }),
    ).toThrow(/"other" is not a parameter/)
    expect(() => appWith({ 'GET /w': { accepts: offer, output: { type: 12 } } })).toThrow(/output/)
  })
})

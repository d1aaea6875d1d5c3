import { decodeHeader, encodeHeader, paymentRequiredV2Schema } from '@tollgate/protocol'
import { Hono } from 'hono'
import { describe, expect, test } from 'vitest'
import { demoApp } from '../../test/demoApp.ts'
import type { FacilitatorClient, SettleResult, VerifyResult } from '../facilitator/facilitatorClient.ts'
import { type PaymentRequiredOptions, paymentRequired } from '../paymentRequired.ts'

const payTo = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const offer = { network: 'eip155:8453', price: '$0.001', payTo } as const
const exposed = 'PAYMENT-REQUIRED,PAYMENT-RESPONSE,X-PAYMENT-RESPONSE'

/** Verifies every payment; settles it, or refuses with a spent nonce. */
function facilitator(settles: boolean): FacilitatorClient {
  return {
    verify: async (): Promise<VerifyResult> => ({ ok: true, payer: payTo, response: { isValid: true } }),
    settle: async (call): Promise<SettleResult> =>
      settles
        ? {
            ok: true,
            response: { success: true, transaction: `0x${'ab'.repeat(32)}`, network: call.paymentRequirements.network },
          }
        : { ok: false, code: 'invalid_exact_evm_nonce_already_used', reason: 'invalid_exact_evm_nonce_already_used' },
  }
}

function sellerApp(options: Pick<PaymentRequiredOptions, 'cors'> & { settles?: boolean } = {}) {
  const app = new Hono()
  const { settles = true, ...rest } = options
  app.use(
    paymentRequired({
      facilitator: facilitator(settles),
      routes: { '/files/*': { accepts: offer }, 'GET /own': { accepts: offer } },
      ...rest,
    }),
  )
  app.all('/files/*', (c) => c.text('file'))
  app.get('/own', (c) => {
    c.header('Access-Control-Allow-Origin', 'https://own.example')
    c.header('Access-Control-Expose-Headers', 'X-Own')
    return c.text('own')
  })
  return app
}

/** A well-formed v2 payment for the first offer quoted at `path` (the facilitator here accepts any). */
async function paid(app: Hono, path: string, method = 'GET') {
  const unpaid = await app.request(path, { method })
  const required = decodeHeader(paymentRequiredV2Schema, unpaid.headers.get('payment-required'))
  const payment = encodeHeader({
    x402Version: 2,
    accepted: required.accepts[0],
    resource: required.resource,
    payload: {
      signature: `0x${'11'.repeat(65)}`,
      authorization: {
        from: payTo,
        to: payTo,
        value: '1000',
        validAfter: '0',
        validBefore: '99999999999',
        nonce: `0x${'22'.repeat(32)}`,
      },
    },
  })
  return app.request(path, { method, headers: { origin: 'https://buyer.example', 'PAYMENT-SIGNATURE': payment } })
}

describe('preflight', () => {
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
})

describe('CORS of answers', () => {
  test("behavior: a handler's own Allow-Origin is kept and the payment headers join its Expose-Headers", async () => {
    const res = await paid(sellerApp(), '/own')
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://own.example')
    expect(res.headers.get('access-control-expose-headers')).toBe(`X-Own,${exposed}`)
    expect(res.headers.get('payment-response')).toBeTruthy()
  })

  test('behavior: a fixed origin is sent on a paid answer, with Vary: Origin', async () => {
    const res = await paid(sellerApp({ cors: { origin: 'https://app.test' } }), '/files/a.txt')
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.test')
    expect(res.headers.get('access-control-expose-headers')).toBe(exposed)
    expect(res.headers.get('vary')).toBe('Origin')
  })

  test('behavior: a priced plain OPTIONS carries the CORS headers and keeps its JSON body', async () => {
    const res = await sellerApp().request('/files/a.txt', {
      method: 'OPTIONS',
      headers: { origin: 'https://buyer.example' },
    })
    expect(res.status).toBe(402)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-expose-headers')).toBe(exposed)
    expect(res.headers.get('content-type')).toBe('application/json')
    const body = await res.text()
    expect(res.headers.get('content-length')).toBe(String(new TextEncoder().encode(body).length))
    expect(JSON.parse(body)).toMatchObject({ x402Version: 1, error: 'payment_required' })
    const paidOptions = await paid(sellerApp(), '/files/a.txt', 'OPTIONS')
    expect(paidOptions.status).toBe(200)
    expect(paidOptions.headers.get('content-type')).toBe('text/plain;charset=UTF-8')
    expect(paidOptions.headers.get('access-control-allow-origin')).toBe('*')
  })

  test("behavior: the answer that replaces a handler's (settlement failed) carries the CORS headers", async () => {
    const res = await paid(sellerApp({ settles: false }), '/files/a.txt')
    expect(res.status).toBe(402)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-expose-headers')).toBe(exposed)
    expect(await res.text()).not.toBe('file')
  })

  test("behavior: the cached unpaid 402 carries exactly the CORS headers cors() writes on the middleware's other answers", async () => {
    const corsOf = (res: Response) =>
      ['access-control-allow-origin', 'access-control-expose-headers', 'vary'].map((name) => res.headers.get(name))
    for (const cors of [{}, { origin: 'https://app.test' }]) {
      const app = sellerApp({ cors, settles: false })
      const unpaid = await app.request('/files/a.txt', { headers: { origin: 'https://buyer.example' } })
      const replaced = await paid(app, '/files/a.txt')
      expect(unpaid.status).toBe(402)
      expect(replaced.status).toBe(402)
      expect(corsOf(unpaid)).toEqual(corsOf(replaced))
    }
  })

  test('behavior: with cors: false no CORS header is added to any answer', async () => {
    const app = sellerApp({ cors: false })
    for (const res of [await app.request('/files/a.txt'), await paid(app, '/files/a.txt')]) {
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
      expect(res.headers.get('access-control-expose-headers')).toBeNull()
    }
  })
})

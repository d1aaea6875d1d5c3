/**
 * The seller app of the middleware's tests (paymentRequired*.test.ts, paymentCors.test.ts): a demo app and a
 * facilitator faked at the HTTP level. Kept out of src/ so it is neither published nor taken for a test.
 */
import { type FacilitatorRequestV1, type FacilitatorRequestV2, facilitatorRequestSchema } from '@tollgate/protocol'
import { Hono } from 'hono'
import { privateKeyToAccount } from 'viem/accounts'
import { httpFacilitator } from '../src/facilitator/httpFacilitator.ts'
import { type PaymentRequiredOptions, paymentRequired } from '../src/paymentRequired.ts'

// anvil dev account #2 (a public test key) pays; account #1 is the seller.
export const payer = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a')
export const payTo = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
export const usdc = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913'
export const txHash = `0x${'ab'.repeat(32)}`

type Call = { endpoint: 'verify' | 'settle'; body: FacilitatorRequestV1 | FacilitatorRequestV2 }
/** An answer: status, JSON body and, optionally, headers. */
type Answer = [number, unknown] | [number, unknown, Record<string, string>]

/** A facilitator at the HTTP level, behind httpFacilitator's injectable fetch. */
export function fakeFacilitator() {
  const calls: Call[] = []
  const state = {
    verify: (body: Call['body']): Answer => [
      200,
      { isValid: true, payer: (body.paymentPayload.payload as { authorization: { from: string } }).authorization.from },
    ],
    settle: (body: Call['body']): Answer => [
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
      const [status, answer, headers] = state[endpoint](body)
      return c.json(answer, status as 200, headers)
    })
  }
  const facilitator = httpFacilitator({
    url: 'http://facilitator.test',
    fetch: async (request) => server.request(request),
  })
  return { calls, state, facilitator }
}

export type Bindings = { PAY_TO: string; PRICE: string }

export function demoApp(options: Partial<PaymentRequiredOptions<{ Bindings: Bindings }>> = {}) {
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

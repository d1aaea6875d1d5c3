/** The middleware's public types, checked by the compiler: `npm run typecheck` (part of `npm test`) fails on any of them. */
import type { SettleResponse } from '@tollgate/protocol'
import { Hono, type MiddlewareHandler } from 'hono'
import { describe, expectTypeOf, test } from 'vitest'
import {
  type FacilitatorClient,
  httpFacilitator,
  type Payment,
  type PaymentRequiredOptions,
  type Price,
  paymentRequired,
  type SettleResult,
  type VerifyResult,
} from './index.ts'

type Bindings = { Bindings: { PAY_TO: string; TOLLGATE_API_KEY: string } }
const facilitator = httpFacilitator({ url: 'http://127.0.0.1:4020' })
const offer = { network: 'eip155:8453', price: '$0.01', payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' } as const

describe('paymentRequired', () => {
  test('is Hono middleware for the app environment it is given', () => {
    expectTypeOf(paymentRequired({ routes: {}, facilitator })).toExtend<MiddlewareHandler>()
    expectTypeOf(paymentRequired<Bindings>({ routes: {}, facilitator })).toExtend<MiddlewareHandler<Bindings>>()
    new Hono<Bindings>().use(paymentRequired<Bindings>({ routes: {}, facilitator }))
  })

  test('prices are dollar strings, atomic-unit strings or bigints, never numbers', () => {
    expectTypeOf<'$0.01'>().toExtend<Price>()
    expectTypeOf<'1000'>().toExtend<Price>()
    expectTypeOf<1000n>().toExtend<Price>()
    expectTypeOf<0.01>().not.toExtend<Price>()
    expectTypeOf<'0.01 USDC'>().not.toExtend<Price>()
  })

  test('price and payTo may be computed from the typed context, synchronously or not', () => {
    paymentRequired<Bindings>({
      facilitator,
      routes: {
        'GET /forecast': {
          accepts: {
            network: 'eip155:8453',
            price: (c) => (c.req.query('days') === '7' ? '$0.05' : '$0.01'),
            payTo: async (c) => {
              expectTypeOf(c.env.PAY_TO).toBeString()
              return c.env.PAY_TO
            },
          },
        },
      },
    })
  })

  test('route options refuse what is not an option', () => {
    const routes: PaymentRequiredOptions['routes'] = {
      // @ts-expect-error settle is 'after' or 'before'
      'GET /a': { accepts: offer, settle: 'later' },
      // @ts-expect-error a price is not a number
      'GET /b': { accepts: { ...offer, price: 0.01 } },
      // @ts-expect-error every offer names its network
      'GET /c': { accepts: { price: '$0.01', payTo: offer.payTo } },
      'GET /d': { accepts: [offer, { ...offer, network: 'eip155:84532' }], settle: 'before' },
    }
    expectTypeOf(routes).toBeObject()
  })
})

describe('the handler', () => {
  test("reads the verified payment with c.get('payment')", () => {
    new Hono().get('/weather', (c) => {
      const payment = c.get('payment')
      expectTypeOf(payment).toEqualTypeOf<Payment>()
      expectTypeOf(payment.amount).toEqualTypeOf<bigint>()
      expectTypeOf(payment.x402Version).toEqualTypeOf<1 | 2>()
      expectTypeOf(payment.settlement).toEqualTypeOf<SettleResponse | undefined>()
      return c.text(payment.requirements.network)
    })
  })
})

describe('facilitators', () => {
  test('httpFacilitator is a FacilitatorClient; results narrow on ok', () => {
    expectTypeOf(facilitator).toExtend<FacilitatorClient>()
    expectTypeOf<VerifyResult>().toExtend<{ ok: boolean }>()
    const settled = (result: SettleResult) => (result.ok ? result.response.transaction : result.code)
    expectTypeOf(settled).returns.toBeString()
  })

  test('the API key may come from c.env on Workers', () => {
    httpFacilitator({ url: 'https://facilitator.example', apiKey: (c) => c.env.TOLLGATE_API_KEY as string })
    // @ts-expect-error an API key is a string, or read from the context
    httpFacilitator({ url: 'https://facilitator.example', apiKey: 42 })
  })

  test('any object with verify and settle is a FacilitatorClient', () => {
    const own: FacilitatorClient = {
      verify: async () => ({ ok: false, code: 'invalid_payload', reason: 'invalid_payload' }),
      settle: async () => ({ ok: false, code: 'invalid_payload', reason: 'invalid_payload' }),
    }
    expectTypeOf(own.supported).toEqualTypeOf<FacilitatorClient['supported']>()
  })
})

import { encodeHeader, type SettleResponse } from '@tollgate/protocol'
import { Hono } from 'hono'
import { describe, expect, test } from 'vitest'
import type { FacilitatorCall, FacilitatorClient } from '../facilitator/facilitatorClient.ts'
import { paymentRequired } from '../paymentRequired.ts'
import type { OfferOptions } from '../routes/routeOptions.ts'

const payTo = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const receipt = { format: 'jws', signature: 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln' } as const

/** An in-process facilitator that records the calls and settles with a receipt. */
function recording(receipts: boolean) {
  const calls: FacilitatorCall[] = []
  const settled: SettleResponse = {
    success: true,
    payer: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
    transaction: `0x${'ab'.repeat(32)}`,
    network: 'eip155:8453',
    extensions: { 'offer-receipt': { info: { receipt, receiptId: 'AAAAAAAAAAAAAAAAAAAAAA' } } },
  }
  const facilitator: FacilitatorClient = {
    verify: async (call) => {
      calls.push(structuredClone(call))
      return { ok: true, payer: settled.payer ?? undefined, response: { isValid: true, payer: settled.payer } }
    },
    settle: async (call) => {
      calls.push(structuredClone(call))
      return { ok: true, response: settled }
    },
    receipts: async () => receipts,
  }
  return { calls, facilitator }
}

const payment = (resource: string) =>
  encodeHeader({
    x402Version: 2,
    resource: { url: resource },
    accepted: {
      scheme: 'exact',
      network: 'eip155:8453',
      amount: '1000',
      asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
      payTo,
      maxTimeoutSeconds: 300,
      extra: { name: 'USD Coin', version: '2' },
    },
    payload: {
      signature: `0x${'11'.repeat(65)}`,
      authorization: {
        from: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
        to: payTo,
        value: '1000',
        validAfter: '0',
        validBefore: '1900000000',
        nonce: `0x${'01'.repeat(32)}`,
      },
    },
  })

function app(facilitator: FacilitatorClient, seen: unknown[], origin: string | null = 'https://api.example.com') {
  const hono = new Hono()
  const accepts: OfferOptions = { network: 'eip155:8453', price: '$0.001', payTo }
  hono.use(async (c, next) => {
    await next()
    seen.push(c.get('payment')?.receipt)
  })
  hono.use(
    paymentRequired({
      facilitator,
      ...(origin ? { origin } : {}),
      routes: { 'GET /after': { accepts }, 'GET /before': { accepts, settle: 'before' } },
    }),
  )
  hono.get('/after', (c) => c.text('delivered body'))
  hono.get('/before', (c) => c.json({ receipt: c.get('payment').receipt ?? null, id: c.get('payment').receiptId }))
  return hono
}

const sha256 = async (text: string) =>
  `0x${Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))), (b) => b.toString(16).padStart(2, '0')).join('')}`

describe('receipts in the middleware', () => {
  test('default: settle after the handler sends the served URL and the SHA-256 of the delivered body', async () => {
    const { calls, facilitator } = recording(true)
    const seen: unknown[] = []
    // The request's own host is the buyer's to choose: the resource is the route under the seller's origin.
    const url = 'https://api.example.com/after'
    const res = await app(facilitator, seen).request('http://attacker.example/after', {
      headers: { 'PAYMENT-SIGNATURE': payment(url) },
    })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('delivered body')
    expect(calls[0]?.tollgate).toEqual({ claim: expect.any(String), resource: url })
    expect(calls[1]?.tollgate).toEqual({
      claim: calls[0]?.tollgate?.claim,
      resource: url,
      responseHash: await sha256('delivered body'),
    })
    // Outer middleware reads the receipt once settled.
    expect(seen).toEqual([receipt])
  })

  test('security: without a configured origin the seller asserts no resource, whatever Host says (issue 21, item 3)', async () => {
    const { calls, facilitator } = recording(true)
    const url = 'https://api.expensive.example/after'
    const res = await app(facilitator, [], null).request(url, { headers: { 'PAYMENT-SIGNATURE': payment(url) } })
    expect(res.status).toBe(200)
    expect(calls.map((call) => call.tollgate?.resource)).toEqual([undefined, undefined])
  })

  test('config: origin must be an http(s) origin', () => {
    for (const origin of [
      'api.example.com',
      'https://api.example.com/v1',
      'ftp://x.example',
      'https://u:p@x.example',
    ]) {
      expect(() => paymentRequired({ facilitator: recording(true).facilitator, origin, routes: {} })).toThrow(/origin/)
    }
  })

  test('default: a facilitator without receipts gets no hash; settle-before has the receipt in the handler', async () => {
    const { calls, facilitator } = recording(false)
    const seen: unknown[] = []
    const hono = app(facilitator, seen)
    const url = 'http://api.example.com/after'
    expect((await hono.request(url, { headers: { 'PAYMENT-SIGNATURE': payment(url) } })).status).toBe(200)
    expect(calls[1]?.tollgate).not.toHaveProperty('responseHash')
    const before = 'http://api.example.com/before'
    const res = await hono.request(before, { headers: { 'PAYMENT-SIGNATURE': payment(before) } })
    expect(await res.json()).toEqual({ receipt, id: 'AAAAAAAAAAAAAAAAAAAAAA' })
  })
})

import { decodeHeader, encodeHeader, paymentRequiredV2Schema } from '@tollgate/protocol'
import { Hono } from 'hono'
import { describe, expect, test } from 'vitest'
import type { FacilitatorClient } from '../facilitator/facilitatorClient.ts'
import { paymentRequired } from '../paymentRequired.ts'
import { checkExactPayload } from './checkExactPayload.ts'

const payTo = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const from = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const authorization = {
  from,
  to: payTo,
  value: '1000',
  validAfter: '0',
  validBefore: '99999999999',
  nonce: `0x${'12'.repeat(32)}`,
}
const erc6492Magic = '6492'.repeat(16)

async function seller() {
  const calls: string[] = []
  const facilitator: FacilitatorClient = {
    verify: async () => {
      calls.push('verify')
      return { ok: false, code: 'invalid_exact_evm_payload_signature', reason: 'invalid_exact_evm_payload_signature' }
    },
    settle: async () => {
      calls.push('settle')
      return { ok: false, code: 'payment_rejected', reason: 'payment_rejected' }
    },
  }
  const app = new Hono()
  app.use(
    paymentRequired({
      facilitator,
      routes: { 'GET /weather': { accepts: { network: 'eip155:8453', price: '1000', payTo } } },
    }),
  )
  app.get('/weather', (c) => c.json({ tempC: 21 }))
  const quote = decodeHeader(paymentRequiredV2Schema, (await app.request('/weather')).headers.get('payment-required'))
  const accepted = quote.accepts[0]
  const v2 = (payload: unknown) => ({ 'PAYMENT-SIGNATURE': encodeHeader({ x402Version: 2, accepted, payload }) })
  const v1 = (payload: unknown) => ({
    'X-PAYMENT': encodeHeader({ x402Version: 1, scheme: 'exact', network: 'base', payload }),
  })
  return { app, calls, v2, v1 }
}

describe('the exact EVM payload is checked before the facilitator is asked', () => {
  test('default: a malformed authorization is 400 invalid_payload, v2 and v1, with no facilitator call', async () => {
    const { app, calls, v2, v1 } = await seller()
    const payload = { signature: `0x${'ab'.repeat(65)}`, authorization: { ...authorization, nonce: '0x1234' } }
    for (const headers of [v2(payload), v1(payload)]) {
      const res = await app.request('/weather', { headers })
      expect(res.status).toBe(400)
      expect(await res.json()).toEqual({
        error: 'invalid_payload',
        message:
          'The exact EVM payload is malformed: payload.authorization.nonce: expected a 0x-prefixed 32-byte hex value.',
      })
    }
    expect(calls).toEqual([])
  })

  test.each([
    ['an EOA signature (65 bytes)', `0x${'ab'.repeat(65)}`],
    ['an ERC-1271 signature (longer)', `0x${'cd'.repeat(200)}`],
    ['an ERC-1271 signature (shorter)', `0x${'cd'.repeat(20)}`],
    ['an ERC-6492 wrapped signature', `0x${'00'.repeat(32 * 6)}${'ab'.repeat(65)}${erc6492Magic}`],
  ])('behavior: %s passes the shape check and goes to the facilitator', async (_, signature) => {
    const { app, calls, v2, v1 } = await seller()
    for (const headers of [v2({ signature, authorization }), v1({ signature, authorization })]) {
      const res = await app.request('/weather', { headers })
      expect(res.status).toBe(402)
      expect((await res.json()).error).toBe('invalid_exact_evm_payload_signature')
    }
    expect(calls).toEqual(['verify', 'verify'])
  })

  test('behavior: other schemes are the facilitator’s to judge', () => {
    const payment = { x402Version: 1, scheme: 'upto', network: 'base', payload: { anything: 1 } } as const
    expect(checkExactPayload(payment)).toBeUndefined()
    expect(checkExactPayload({ ...payment, scheme: 'exact' })).toMatch(/^The exact EVM payload is malformed: /)
  })
})

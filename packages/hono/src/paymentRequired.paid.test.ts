import { decodeHeader, encodeHeader, paymentRequiredV2Schema, settleResponseSchema } from '@tollgate/protocol'
import { x402Client, x402HTTPClient } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { wrapFetchWithPayment } from '@x402/fetch'
import { describe, expect, test } from 'vitest'
import { wrapFetchWithPayment as wrapFetchV1 } from 'x402-fetch'
import { demoApp, payer, payTo, txHash, usdc } from '../test/demoApp.ts'
import type { SettleResult, VerifyResult } from './facilitator/facilitatorClient.ts'

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

  test('behavior: an overloaded facilitator (429, 503) is the buyer 503 with Retry-After, never its fault (issue 21)', async () => {
    const { request, fake } = demoApp()
    const paid = async () =>
      request('/weather', { headers: { 'PAYMENT-SIGNATURE': await v2Header(request, '/weather') } })
    fake.state.verify = () => [503, { error: 'maintenance' }]
    const down = await paid()
    expect(down.status).toBe(503)
    expect(down.headers.get('retry-after')).toBe('1')
    expect(await down.json()).toMatchObject({ error: 'facilitator_unavailable' })
    // The seller's own rate limit at the facilitator is not the buyer's: 503, with the facilitator's Retry-After.
    fake.state.verify = () => [429, { error: 'rate_limited', message: 'Too many requests.' }, { 'Retry-After': '7' }]
    const limited = await paid()
    expect(limited.status).toBe(503)
    expect(limited.headers.get('retry-after')).toBe('7')
    expect(await limited.json()).toMatchObject({ error: 'facilitator_unavailable', reason: 'rate_limited' })
    // At settle too, with a Retry-After beyond a minute brought down to one.
    fake.state.verify = () => [200, { isValid: true, payer: payTo }]
    fake.state.settle = () => [503, { error: 'facilitator_unavailable' }, { 'Retry-After': '3600' }]
    const settling = await paid()
    expect(settling.status).toBe(503)
    expect(settling.headers.get('retry-after')).toBe('60')
  })

  test('behavior: a facilitator that is down or throws is a 502, never a 500', async () => {
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

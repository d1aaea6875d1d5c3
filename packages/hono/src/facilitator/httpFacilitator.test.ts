import type { FacilitatorRequestV2 } from '@tollgate/protocol'
import { Hono } from 'hono'
import { describe, expect, test } from 'vitest'
import { paymentRequired } from '../paymentRequired.ts'
import { httpFacilitator } from './httpFacilitator.ts'

const payTo = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const requirements = {
  scheme: 'exact',
  network: 'eip155:8453',
  amount: '1000',
  asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
  payTo,
  maxTimeoutSeconds: 300,
  extra: { name: 'USD Coin', version: '2' },
} as const
const authorization = {
  from: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  to: payTo,
  value: '1000',
  validAfter: '0',
  validBefore: '99999999999',
  nonce: `0x${'12'.repeat(32)}`,
}
const call: FacilitatorRequestV2 = {
  x402Version: 2,
  paymentPayload: {
    x402Version: 2,
    accepted: requirements,
    payload: { signature: `0x${'ab'.repeat(65)}`, authorization },
  },
  paymentRequirements: requirements,
}

/** A facilitator that answers every call with `answer()`, counting the calls. */
function answering(answer: () => Response) {
  const calls: string[] = []
  const facilitator = httpFacilitator({
    url: 'http://facilitator.test',
    fetch: async (request) => {
      calls.push(new URL(request.url).pathname)
      return answer()
    },
  })
  return { calls, facilitator }
}

describe('httpFacilitator: 4xx answers are refusals, never facilitator_unavailable', () => {
  test("default: our facilitator's 400 { error, message } keeps its code", async () => {
    const { facilitator } = answering(() =>
      Response.json(
        { error: 'invalid_payload', message: 'paymentPayload.payload.authorization.nonce: expected 32 bytes' },
        { status: 400 },
      ),
    )
    expect(await facilitator.verify(call)).toEqual({
      ok: false,
      code: 'invalid_payload',
      reason: 'invalid_payload',
      message: 'verify: HTTP 400 paymentPayload.payload.authorization.nonce: expected 32 bytes',
    })
    expect(await facilitator.settle(call)).toMatchObject({ ok: false, code: 'invalid_payload' })
  })

  test.each([
    [400, { error: 'invalid_network', message: 'Network eip155:1 is not supported.' }, 'invalid_network'],
    [400, { error: 'unsupported_scheme' }, 'unsupported_scheme'],
    [400, { error: 'invalid_request', message: 'The body is not valid JSON.' }, 'invalid_request'],
    [413, { error: 'payload_too_large' }, 'payload_too_large'],
    [401, { error: 'unauthorized' }, 'unauthorized'],
    [429, { error: 'rate_limited' }, 'rate_limited'],
    [400, { error: 'something_new' }, 'payment_rejected'],
    [400, { error: 'facilitator_unavailable' }, 'invalid_request'],
    [400, { error: 'rpc_unavailable' }, 'invalid_request'],
    [400, {}, 'invalid_request'],
    [403, { detail: 'forbidden' }, 'forbidden'],
    [404, { error: 'not_found' }, 'payment_rejected'],
    [429, ['slow down'], 'rate_limited'],
  ])('behavior: HTTP %i %j is %s', async (status, body, code) => {
    const { facilitator } = answering(() => Response.json(body, { status }))
    const verdict = await facilitator.verify(call)
    expect(verdict).toMatchObject({ ok: false, code })
    expect(verdict.ok === false && verdict.code).not.toBe('facilitator_unavailable')
  })

  test('behavior: a 4xx that is not JSON is a refusal too; 5xx stays facilitator_unavailable', async () => {
    const { facilitator } = answering(() => new Response('Bad Request', { status: 400 }))
    expect(await facilitator.verify(call)).toEqual({
      ok: false,
      code: 'invalid_request',
      reason: 'invalid_request',
      message: 'verify: HTTP 400 Bad Request',
    })
    const down = answering(() => Response.json({ error: 'invalid_payload' }, { status: 503 }))
    expect(await down.facilitator.verify(call)).toMatchObject({ ok: false, code: 'facilitator_unavailable' })
    const html = answering(() => new Response('<html>bad gateway</html>', { status: 502 }))
    expect(await html.facilitator.settle(call)).toMatchObject({ ok: false, code: 'facilitator_unavailable' })
  })

  test('behavior: the seller answers a facilitator 400 with a 4xx, never 502', async () => {
    const { calls, facilitator } = answering(() =>
      Response.json({ error: 'invalid_network', message: 'Network eip155:8453 is not supported.' }, { status: 400 }),
    )
    const app = new Hono()
    app.use(
      paymentRequired({
        facilitator,
        routes: { 'GET /weather': { accepts: { network: 'eip155:8453', price: '1000', payTo } } },
      }),
    )
    app.get('/weather', (c) => c.json({ tempC: 21 }))
    const header = btoa(JSON.stringify(call.paymentPayload))
    const res = await app.request('/weather', { headers: { 'PAYMENT-SIGNATURE': header } })
    // `/supported` is asked once, for the delivery extension (here a 400 too: no extensions).
    expect(calls).toEqual(['/supported', '/verify'])
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.status).toBeLessThan(500)
    expect(await res.json()).toMatchObject({ error: 'invalid_network' })
  })
})

describe('httpFacilitator apiKey', () => {
  const recording = (apiKey: NonNullable<Parameters<typeof httpFacilitator>[0]['apiKey']>) => {
    const seen: { path: string; authorization: string | null }[] = []
    const facilitator = httpFacilitator({
      url: 'http://facilitator.test',
      apiKey,
      fetch: async (request) => {
        const path = new URL(request.url).pathname
        seen.push({ path, authorization: request.headers.get('authorization') })
        if (path === '/supported') return Response.json({ kinds: [], extensions: ['tollgate-release'], signers: {} })
        if (path === '/settle')
          return Response.json({
            success: true,
            payer: authorization.from,
            transaction: `0x${'11'.repeat(32)}`,
            network: 'eip155:8453',
          })
        return Response.json({ isValid: true, payer: authorization.from })
      },
    })
    return { seen, facilitator }
  }

  test('default: a key as a value is sent as a Bearer token on every call', async () => {
    const { seen, facilitator } = recording('tg_0123456789abcdef_secret')
    await facilitator.verify(call)
    await facilitator.settle(call)
    await facilitator.release?.(call)
    expect(seen.map(({ path }) => path)).toEqual(['/verify', '/settle', '/supported', '/release'])
    expect(new Set(seen.map(({ authorization }) => authorization))).toEqual(
      new Set(['Bearer tg_0123456789abcdef_secret']),
    )
  })

  test('behavior: a key as a function of the context reads c.env (Workers), per request', async () => {
    type Bindings = { TOLLGATE_API_KEY: string }
    const { seen, facilitator } = recording((c) => (c.env as Bindings).TOLLGATE_API_KEY)
    const app = new Hono<{ Bindings: Bindings }>()
    app.use(
      paymentRequired({
        facilitator,
        routes: { 'GET /weather': { accepts: { network: 'eip155:8453', price: '1000', payTo } } },
      }),
    )
    app.get('/weather', (c) => c.json({ tempC: 21 }))
    const header = btoa(JSON.stringify(call.paymentPayload))
    const res = await app.request(
      '/weather',
      { headers: { 'PAYMENT-SIGNATURE': header } },
      {
        TOLLGATE_API_KEY: 'tg_from_env',
      },
    )
    expect(res.status).toBe(200)
    expect(seen.length).toBeGreaterThan(1)
    for (const { authorization } of seen) expect(authorization).toBe('Bearer tg_from_env')
  })

  test('behavior: apiKey with createAuthHeaders, or an empty key, is refused at construction', () => {
    expect(() => httpFacilitator({ url: 'http://x.test', apiKey: 'k', createAuthHeaders: async () => ({}) })).toThrow(
      'httpFacilitator: pass apiKey or createAuthHeaders, not both.',
    )
    expect(() => httpFacilitator({ url: 'http://x.test', apiKey: ' ' })).toThrow(
      'httpFacilitator: apiKey must be a non-empty string or a function of the context.',
    )
  })
})

describe('httpFacilitator: request ids', () => {
  test('behavior: the call context requestId is sent as X-Request-Id on verify, settle and release', async () => {
    const seen: (string | null)[] = []
    const facilitator = httpFacilitator({
      url: 'http://127.0.0.1:9',
      fetch: async (request) => {
        if (request.url.endsWith('/supported')) {
          return new Response(JSON.stringify({ kinds: [], extensions: ['tollgate-release'], signers: {} }))
        }
        seen.push(request.headers.get('x-request-id'))
        return new Response(JSON.stringify({ isValid: true, success: true, transaction: '0x', network: 'eip155:8453' }))
      },
    })
    await facilitator.verify(call, { requestId: 'req-1' })
    await facilitator.settle(call, { requestId: 'req-2' })
    await facilitator.release?.(call, { requestId: 'req-3' })
    await facilitator.verify(call)
    expect(seen.slice(-4)).toEqual(['req-1', 'req-2', 'req-3', null])
  })
})

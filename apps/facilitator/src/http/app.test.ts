/** The HTTP surface without a chain: shapes, 400s, 404s and onError. */
import { createFacilitator, createMemoryStore, type Facilitator } from '@tollgate/facilitator'
import { errorInfo } from '@tollgate/protocol'
import { createPublicClient, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, describe, expect, test } from 'vitest'
import { createMetrics } from '../ops/metrics.ts'
import { createApp } from './app.ts'

// anvil dev account #0: a public test key.
const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
// Nothing listens on port 9: any test that reached the chain would fail with unexpected_verify_error.
const client = createPublicClient({ transport: http('http://127.0.0.1:9', { retryCount: 0 }) })
const facilitator: Facilitator = createFacilitator({
  store: createMemoryStore(),
  networks: [
    { network: 'eip155:8453', client, account },
    { network: 'eip155:84532', client, account },
  ],
})
afterAll(() => facilitator.close())
const app = createApp(facilitator, { maxBodyBytes: 1_024, logError: () => undefined })

const post = async (path: string, body: string) => {
  const response = await app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  return { status: response.status, json: await response.json() }
}

describe('createApp', () => {
  test('default: GET /supported lists v2 and v1 kinds, the tollgate-release and tollgate-delivery extensions, the signer', async () => {
    const response = await app.request('/supported')
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchInlineSnapshot(`
      {
        "extensions": [
          "tollgate-release",
          "tollgate-delivery",
        ],
        "kinds": [
          {
            "network": "eip155:8453",
            "scheme": "exact",
            "x402Version": 2,
          },
          {
            "network": "eip155:84532",
            "scheme": "exact",
            "x402Version": 2,
          },
          {
            "network": "base",
            "scheme": "exact",
            "x402Version": 1,
          },
          {
            "network": "base-sepolia",
            "scheme": "exact",
            "x402Version": 1,
          },
        ],
        "signers": {
          "eip155:*": [
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
          ],
        },
      }
    `)
  })

  test('behavior: GET /health says only up or down: no signer address, balance or in-flight count', async () => {
    const response = await app.request('/health')
    expect(response.status).toBe(200)
    const text = await response.text()
    expect(JSON.parse(text)).toEqual({ status: 'up' })
    expect(text.toLowerCase()).not.toContain(account.address.slice(2).toLowerCase())
    expect(text).not.toMatch(/balance|inFlight|signer|leased/i)
    let draining = true
    const shutting = createApp(facilitator, { logError: () => undefined, draining: () => draining })
    expect((await shutting.request('/health')).status).toBe(503)
    expect(await (await shutting.request('/health')).json()).toEqual({ status: 'down' })
    draining = false
    expect((await shutting.request('/health')).status).toBe(200)
  })

  test('behavior: while draining, /verify /settle /release answer 503 facilitator_unavailable (retryable) with Retry-After', async () => {
    const shutting = createApp(facilitator, { logError: () => undefined, draining: () => true })
    for (const path of ['/verify', '/settle', '/release']) {
      const response = await shutting.request(path, { method: 'POST', body: '{}' })
      expect(response.status).toBe(503)
      expect(response.headers.get('retry-after')).toBe('1')
      expect(await response.json()).toEqual({
        error: 'facilitator_unavailable',
        message: 'The facilitator is shutting down; retry.',
      })
      expect(errorInfo('facilitator_unavailable').class).toBe('retryable')
    }
  })

  test('behavior: /ready is 200/503 for anyone, details and signer state only for admin; /metrics admin only', async () => {
    const readiness = { ready: false, checks: { accepting: { ok: true }, store: { ok: true }, rpc: {}, signer: {} } }
    let admin = false
    const metrics = createMetrics({ now: () => 0n })
    const guarded = createApp(facilitator, {
      logError: () => undefined,
      ready: async () => readiness,
      metrics,
      requireAdmin: () => admin,
    })
    const outsider = await guarded.request('/ready')
    expect(outsider.status).toBe(503)
    expect(await outsider.json()).toEqual({ ready: false })
    expect((await guarded.request('/metrics')).status).toBe(403)
    admin = true
    const inside = (await (await guarded.request('/ready')).json()) as Record<string, unknown>
    expect(inside).toMatchObject({ ready: false, checks: readiness.checks })
    expect(inside.signers).toContainEqual(expect.objectContaining({ address: account.address, network: 'eip155:8453' }))
    const scraped = await guarded.request('/metrics')
    expect(scraped.status).toBe(200)
    expect(await scraped.text()).toContain('tollgate_verify_total')
    // Without auth wired, the default guard is the caller's admin scope: nobody has it.
    const unwired = createApp(facilitator, { logError: () => undefined, metrics, ready: async () => readiness })
    expect((await unwired.request('/metrics')).status).toBe(403)
    // With auth wired, an admin key (and only an admin key) reads /metrics and /ready details.
    const scopesOf: Record<string, ('admin' | 'verify')[]> = {
      'Bearer admin-key': ['admin'],
      'Bearer seller-key': ['verify'],
    }
    const authed = createApp(facilitator, {
      logError: () => undefined,
      metrics,
      ready: async () => readiness,
      authenticate: async ({ authorization }) => {
        const scopes = authorization ? scopesOf[authorization] : undefined
        return scopes
          ? { ok: true, caller: { kind: 'key', keyId: authorization as string, scopes, payTo: '*' } }
          : { ok: false }
      },
    })
    const as = (authorization: string) => ({ headers: { authorization } })
    expect((await authed.request('/metrics', as('Bearer admin-key'))).status).toBe(200)
    expect((await authed.request('/metrics', as('Bearer seller-key'))).status).toBe(403)
    expect((await authed.request('/metrics', as('Bearer forged'))).status).toBe(403)
    expect(await (await authed.request('/ready', as('Bearer admin-key'))).json()).toMatchObject({
      checks: readiness.checks,
    })
    expect(await (await authed.request('/ready')).json()).toEqual({ ready: false })
  })

  test("behavior: every answer carries X-Request-Id: the caller's when plain, else a new one", async () => {
    const kept = await app.request('/supported', { headers: { 'x-request-id': 'buyer-req.42' } })
    expect(kept.headers.get('x-request-id')).toBe('buyer-req.42')
    const replaced = await app.request('/supported', { headers: { 'x-request-id': 'not plain: {json}' } })
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  test('behavior: malformed bodies are 400 with a code on every POST endpoint', async () => {
    for (const path of ['/verify', '/settle', '/release']) {
      expect(await post(path, 'not json')).toEqual({
        status: 400,
        json: { error: 'invalid_request', message: 'The body is not valid JSON.' },
      })
      expect((await post(path, '{"paymentPayload": 1}')).json.error).toBe('invalid_request')
      expect((await post(path, '"string"')).json.error).toBe('invalid_request')
      expect((await post(path, 'x'.repeat(2_000))).json).toEqual({
        error: 'payload_too_large',
        message: 'The body is larger than 1024 bytes.',
      })
    }
  })

  test('behavior: unknown routes are 404 with a code', async () => {
    const response = await app.request('/verify')
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({ error: 'not_found', message: 'No route for GET /verify.' })
  })

  test('behavior: an unreachable chain is a complete 200 answer, not a 500', async () => {
    const requirements = {
      scheme: 'exact',
      network: 'eip155:8453',
      amount: '10000',
      asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
      payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      maxTimeoutSeconds: 60,
      extra: { name: 'USD Coin', version: '2' },
    }
    const payload = {
      signature: `0x${'11'.repeat(65)}`,
      authorization: {
        from: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
        to: requirements.payTo,
        value: '10000',
        validAfter: '0',
        validBefore: '99999999999',
        nonce: `0x${'22'.repeat(32)}`,
      },
    }
    const body = JSON.stringify({
      x402Version: 2,
      paymentPayload: { x402Version: 2, accepted: requirements, payload },
      paymentRequirements: requirements,
    })
    const verified = await post('/verify', body)
    expect(verified.status).toBe(200)
    expect(verified.json).toMatchObject({
      isValid: false,
      invalidReason: 'unexpected_verify_error',
      payer: payload.authorization.from,
    })
    // Nothing was reserved: nothing to release (the chain is never asked).
    expect(await post('/release', body)).toEqual({ status: 200, json: { released: false } })
    const settled = await post('/settle', body)
    expect(settled.status).toBe(200)
    expect(settled.json).toMatchObject({
      success: false,
      errorReason: 'unexpected_settle_error',
      transaction: '',
      network: 'eip155:8453',
      payer: payload.authorization.from,
    })
  })

  test('behavior: onError answers without a stack trace', async () => {
    const broken = createApp({ ...facilitator, networks: undefined } as unknown as Facilitator, {
      logError: () => undefined,
    })
    const response = await broken.request('/supported')
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(JSON.parse(text)).toEqual({ error: 'unexpected_verify_error', message: 'Internal error.' })
    expect(text).not.toMatch(/at |\.ts/)
  })
})

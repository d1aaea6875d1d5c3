import type { Facilitator } from '@tollgate/facilitator'
import { Hono } from 'hono'
import { describe, expect, test } from 'vitest'
import { createApp } from './app.ts'
import type { Authenticate } from './auth.ts'
import { createRateLimit } from './rateLimit.ts'

/** An app whose routes answer 200 behind the limiter; `x-test-key` plays the caller the auth middleware identified. */
async function limitedApp(options: { perAddress: number; perKey: number; trustProxy?: boolean }) {
  const limit = await createRateLimit({ ...options, store: { kind: 'memory' }, keyPrefix: 'unit' })
  const app = new Hono()
  app.use('*', async (c, next) => {
    const keyId = c.req.header('x-test-key')
    const kind = c.req.header('x-test-kind') ?? 'key'
    if (keyId) (c.set as (key: string, value: unknown) => void)('caller', { kind, keyId, scopes: [], payTo: [] })
    await next()
  })
  app.use('*', limit.middleware)
  app.post('/verify', (c) => c.json({ ok: true }))
  app.get('/health', (c) => c.json({ status: 'ok' }))
  return app
}

const post = (app: Hono, headers: Record<string, string> = {}) => app.request('/verify', { method: 'POST', headers })

describe('createRateLimit', () => {
  test('behavior: past the per-address limit, 429 rate_limited with Retry-After; /health is exempt', async () => {
    const app = await limitedApp({ perAddress: 3, perKey: 0 })
    const statuses = []
    for (let i = 0; i < 5; i++) statuses.push((await post(app)).status)
    expect(statuses).toEqual([200, 200, 200, 429, 429])
    const limited = await post(app)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(await limited.json()).toMatchObject({ error: 'rate_limited' })
    expect((await app.request('/health')).status).toBe(200)
  })

  test('behavior: per API key, each key counted on its own', async () => {
    const app = await limitedApp({ perAddress: 0, perKey: 2 })
    const a = [await post(app, { 'x-test-key': 'a' }), await post(app, { 'x-test-key': 'a' })]
    expect(a.map((response) => response.status)).toEqual([200, 200])
    expect((await post(app, { 'x-test-key': 'a' })).status).toBe(429)
    expect((await post(app, { 'x-test-key': 'b' })).status).toBe(200)
    // Without a caller (auth off) only the address limit applies, and it is off here.
    for (let i = 0; i < 3; i++) expect((await post(app)).status).toBe(200)
    // A JWT whose kid spells an API key's id has a counter of its own.
    expect((await post(app, { 'x-test-key': 'a', 'x-test-kind': 'jwt' })).status).toBe(200)
  })

  test('behavior: a caller with valid credentials counts by key only, never against its address', async () => {
    const app = await limitedApp({ perAddress: 3, perKey: 1_000 })
    // Guessing from this address: limited at 3.
    const guesses = []
    for (let i = 0; i < 5; i++) guesses.push((await post(app)).status)
    expect(guesses).toEqual([200, 200, 200, 429, 429])
    // The seller behind the same address is not held back by it, nor counted in it.
    for (let i = 0; i < 50; i++) expect((await post(app, { 'x-test-key': 'seller' })).status).toBe(200)
    // Its key's own limit answers 429 with Retry-After too.
    const capped = await limitedApp({ perAddress: 0, perKey: 1 })
    expect((await post(capped, { 'x-test-key': 'k' })).status).toBe(200)
    const over = await post(capped, { 'x-test-key': 'k' })
    expect(over.status).toBe(429)
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
  })

  test('behavior: X-Forwarded-For counts only with trustProxy, and only its last entry', async () => {
    const untrusted = await limitedApp({ perAddress: 1, perKey: 0 })
    expect((await post(untrusted, { 'x-forwarded-for': '203.0.113.1' })).status).toBe(200)
    // A forged header does not buy a new bucket: the socket's address (here none) is the key.
    expect((await post(untrusted, { 'x-forwarded-for': '203.0.113.2' })).status).toBe(429)

    const trusted = await limitedApp({ perAddress: 1, perKey: 0, trustProxy: true })
    expect((await post(trusted, { 'x-forwarded-for': '198.51.100.7, 203.0.113.1' })).status).toBe(200)
    // The same client behind the proxy, whatever it prepends itself.
    expect((await post(trusted, { 'x-forwarded-for': '198.51.100.8, 203.0.113.1' })).status).toBe(429)
    expect((await post(trusted, { 'x-forwarded-for': '203.0.113.2' })).status).toBe(200)
  })
})

describe('createApp with rate limits and auth', () => {
  /** The app as the service wires it, with an authenticator that counts its calls: `tg_good` is a valid key. */
  async function wired() {
    const calls: string[] = []
    const authenticate: Authenticate = async ({ authorization, path }) => {
      calls.push(path)
      return authorization === 'Bearer tg_good'
        ? { ok: true, caller: { kind: 'key', keyId: 'good', scopes: ['verify'], payTo: '*' } }
        : { ok: false }
    }
    const limit = await createRateLimit({ perAddress: 2, perKey: 100, store: { kind: 'memory' }, keyPrefix: 'app' })
    const app = createApp({ networks: new Map() } as unknown as Facilitator, {
      authenticate,
      rateLimit: limit,
      logError: () => {},
    })
    const verify = (authorization?: string) =>
      app.request('/verify', { method: 'POST', headers: authorization ? { authorization } : {}, body: '{}' })
    return { app, calls, verify }
  }

  test('behavior: the credentials are checked once per request, and never on the exempt paths', async () => {
    const { app, calls, verify } = await wired()
    expect((await verify('Bearer tg_good')).status).toBe(400) // let through: the empty body is its problem
    expect(calls).toEqual(['/verify'])
    for (let i = 0; i < 5; i++)
      expect((await app.request('/health', { headers: { authorization: 'Bearer x' } })).status).toBe(200)
    expect(calls).toEqual(['/verify'])
  })

  test('behavior: bad credentials count against the address (429 past it); the valid key from it still passes', async () => {
    const { verify } = await wired()
    expect([(await verify('Bearer nope')).status, (await verify()).status]).toEqual([401, 401])
    const limited = await verify('Bearer nope')
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    for (let i = 0; i < 10; i++) expect((await verify('Bearer tg_good')).status).toBe(400)
    expect((await verify()).status).toBe(429)
  })
})

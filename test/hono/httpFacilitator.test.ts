/**
 * The HTTP facilitator client against a loopback facilitator that records what it receives (a Node
 * server, and @coinbase/x402, which needs Node APIs: both stay out of packages/hono).
 */
import { generateKeyPairSync, verify as verifySignature } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createFacilitatorConfig } from '@coinbase/x402'
import { serve } from '@hono/node-server'
import { httpFacilitator, toErrorCode } from '@tollgate/hono'
import type { FacilitatorRequestV2 } from '@tollgate/protocol'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'

const call: FacilitatorRequestV2 = {
  x402Version: 2,
  paymentPayload: {
    x402Version: 2,
    accepted: {
      scheme: 'exact',
      network: 'eip155:8453',
      amount: '1000',
      asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
      payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      maxTimeoutSeconds: 300,
      extra: { name: 'USD Coin', version: '2' },
    },
    payload: { signature: '0x11', authorization: {} },
  },
  paymentRequirements: {
    scheme: 'exact',
    network: 'eip155:8453',
    amount: '1000',
    asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
    payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    maxTimeoutSeconds: 300,
    extra: { name: 'USD Coin', version: '2' },
  },
}

type Seen = { method: string; path: string; headers: Record<string, string>; body: unknown }

/** A loopback facilitator that records what it receives and answers what a test tells it to. */
let server: {
  url: string
  seen: Seen[]
  answer: (path: string) => Response | Promise<Response>
  close(): Promise<void>
}

beforeAll(async () => {
  const seen: Seen[] = []
  const app = new Hono()
  const state = {
    answer: (path: string): Response | Promise<Response> => {
      if (path.endsWith('/verify')) return Response.json({ isValid: true, payer: '0xpayer' })
      if (path.endsWith('/settle')) {
        return Response.json({ success: true, transaction: '0xtx', network: 'eip155:8453', payer: '0xpayer' })
      }
      return Response.json({ kinds: [{ x402Version: 2, scheme: 'exact', network: 'eip155:8453' }] })
    },
  }
  app.all('*', async (c) => {
    const text = await c.req.text()
    seen.push({
      method: c.req.method,
      path: c.req.path,
      headers: Object.fromEntries(c.req.raw.headers),
      body: text ? JSON.parse(text) : undefined,
    })
    return state.answer(c.req.path)
  })
  const listening = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  const { port } = listening.address() as AddressInfo
  server = {
    url: `http://127.0.0.1:${port}`,
    seen,
    get answer() {
      return state.answer
    },
    set answer(fn) {
      state.answer = fn
    },
    close: () =>
      new Promise<void>((resolve) => {
        listening.close(() => resolve())
        ;(listening as import('node:http').Server).closeAllConnections()
      }),
  }
})

afterAll(async () => {
  await server.close()
})

function reset(answer?: (path: string) => Response | Promise<Response>) {
  server.seen.length = 0
  if (answer) server.answer = answer
}

describe('httpFacilitator', () => {
  test('default: verify, settle and supported over HTTP', async () => {
    reset()
    const facilitator = httpFacilitator({ url: `${server.url}/` })
    expect(facilitator.url).toBe(server.url)
    expect(await facilitator.verify(call)).toEqual({
      ok: true,
      payer: '0xpayer',
      response: { isValid: true, payer: '0xpayer' },
    })
    expect(await facilitator.settle(call)).toMatchObject({ ok: true, response: { success: true, transaction: '0xtx' } })
    expect(await facilitator.supported()).toMatchObject({ ok: true, response: { extensions: [], signers: {} } })
    expect(server.seen.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /verify', 'POST /settle', 'GET /supported'])
    expect(server.seen[0]?.body).toEqual(call)
    expect(server.seen[0]?.headers['content-type']).toBe('application/json')
  })

  test('behavior: refusals are values with our code and the facilitator reason', async () => {
    reset((path) =>
      path.endsWith('/verify')
        ? Response.json({ isValid: false, invalidReason: 'invalid_exact_evm_signature', payer: '0xp' })
        : Response.json({
            success: false,
            errorReason: 'settlement_pending',
            transaction: '0xtx',
            network: 'eip155:8453',
          }),
    )
    const facilitator = httpFacilitator({ url: server.url })
    expect(await facilitator.verify(call)).toEqual({
      ok: false,
      code: 'invalid_exact_evm_payload_signature',
      reason: 'invalid_exact_evm_signature',
      message: undefined,
      payer: '0xp',
    })
    expect(await facilitator.settle(call)).toMatchObject({
      ok: false,
      code: 'settlement_pending',
      response: { transaction: '0xtx' },
    })
  })

  test('behavior: a 4xx rejection body (Coinbase style) is a verdict; other non-2xx are faults', async () => {
    const facilitator = httpFacilitator({ url: server.url })
    reset(() => Response.json({ isValid: false, invalidReason: 'kyt_risk_detected' }, { status: 400 }))
    expect(await facilitator.verify(call)).toMatchObject({ ok: false, code: 'kyt_risk_detected' })
    reset(() => Response.json({ error: 'boom' }, { status: 500 }))
    expect(await facilitator.verify(call)).toEqual({
      ok: false,
      code: 'facilitator_unavailable',
      reason: 'facilitator_unavailable',
      message: 'verify: HTTP 500 boom',
    })
    reset(() => new Response('<html>bad gateway</html>', { status: 502 }))
    expect(await facilitator.settle(call)).toMatchObject({ ok: false, code: 'facilitator_unavailable' })
    reset(() => Response.json({ success: true }))
    expect(await facilitator.settle(call)).toMatchObject({ ok: false, code: 'unexpected_settle_error' })
    reset(() => new Response('not json'))
    expect(await facilitator.verify(call)).toMatchObject({ ok: false, code: 'unexpected_verify_error' })
  })

  test('behavior: a slow facilitator times out as facilitator_unavailable; settle says the outcome is unknown', async () => {
    // The answer comes far beyond the timeouts, so a busy test process cannot let it in first.
    reset(() => new Promise<Response>((resolve) => setTimeout(() => resolve(Response.json({ isValid: true })), 3_000)))
    const facilitator = httpFacilitator({ url: server.url, timeoutMs: { verify: 100, settle: 150 } })
    const started = Date.now()
    expect(await facilitator.verify(call)).toMatchObject({
      ok: false,
      code: 'facilitator_unavailable',
      message: 'verify: the facilitator did not answer within 100 ms.',
    })
    expect(await facilitator.settle(call)).toMatchObject({
      message: 'settle: the facilitator did not answer within 150 ms (the settlement outcome is unknown).',
    })
    expect(Date.now() - started).toBeLessThan(1_500)
  })

  test('behavior: the timeout holds after a garbage collection (Node fetch loses a copied Request signal)', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    reset(() => new Promise<Response>((resolve) => setTimeout(() => resolve(Response.json({ success: true })), 3_000)))
    const facilitator = httpFacilitator({ url: server.url, timeoutMs: 300 })
    const started = Date.now()
    const answer = facilitator.settle(call)
    await new Promise((resolve) => setTimeout(resolve, 100))
    gc()
    expect(await answer).toMatchObject({ ok: false, code: 'facilitator_unavailable' })
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  test('behavior: the timeout holds even when the fetch ignores the signal', async () => {
    const facilitator = httpFacilitator({ url: server.url, timeoutMs: 100, fetch: () => new Promise(() => {}) })
    expect(await facilitator.verify(call)).toMatchObject({
      ok: false,
      code: 'facilitator_unavailable',
      message: 'verify: the facilitator did not answer within 100 ms.',
    })
  })

  test('behavior: an unreachable facilitator is facilitator_unavailable', async () => {
    const facilitator = httpFacilitator({ url: 'http://127.0.0.1:9', timeoutMs: 2_000 })
    expect(await facilitator.verify(call)).toMatchObject({ ok: false, code: 'facilitator_unavailable' })
  })

  test('behavior: per-endpoint auth headers; a flat map is refused', async () => {
    reset(() => Response.json({ isValid: true }))
    const facilitator = httpFacilitator({
      url: server.url,
      createAuthHeaders: async () => ({ verify: { Authorization: 'Bearer v' }, settle: { Authorization: 'Bearer s' } }),
    })
    await facilitator.verify(call)
    await facilitator.supported()
    expect(server.seen.map((s) => s.headers.authorization)).toEqual(['Bearer v', undefined])
    const flat = httpFacilitator({
      url: server.url,
      createAuthHeaders: async () => ({ Authorization: 'Bearer x' }) as never,
    })
    expect(await flat.verify(call)).toMatchObject({
      ok: false,
      code: 'facilitator_unavailable',
      message: expect.stringContaining('flat header map'),
    })
    const throwing = httpFacilitator({
      url: server.url,
      createAuthHeaders: async () => {
        throw new Error('no key')
      },
    })
    expect(await throwing.settle(call)).toMatchObject({ message: 'createAuthHeaders failed: no key' })
  })

  test('behavior: @coinbase/x402 createFacilitatorConfig() is a drop-in (pointed at a loopback server)', async () => {
    reset(() => Response.json({ isValid: true }))
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const jwk = privateKey.export({ format: 'jwk' })
    const secret = Buffer.concat([
      Buffer.from(jwk.d as string, 'base64url'),
      Buffer.from(jwk.x as string, 'base64url'),
    ]).toString('base64')
    const config = createFacilitatorConfig('test-key-id', secret)
    expect(config.url).toBe('https://api.cdp.coinbase.com/platform/v2/x402')
    // The real config, only re-pointed at loopback: never call Coinbase from tests.
    const facilitator = httpFacilitator({ ...config, url: server.url })
    await facilitator.verify(call)
    await facilitator.settle(call)
    await facilitator.supported()
    const expected = [
      'POST /platform/v2/x402/verify',
      'POST /platform/v2/x402/settle',
      'GET /platform/v2/x402/supported',
    ]
    expect(server.seen.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /verify', 'POST /settle', 'GET /supported'])
    server.seen.forEach((seen, i) => {
      expect(seen.headers['correlation-context']).toMatch(/^sdk_version=.*,sdk_language=typescript,source=x402/)
      const token = seen.headers.authorization?.replace(/^Bearer /, '') ?? ''
      const [head, claims, signature] = token.split('.') as [string, string, string]
      expect(JSON.parse(Buffer.from(head, 'base64url').toString())).toMatchObject({ alg: 'EdDSA', kid: 'test-key-id' })
      expect(JSON.parse(Buffer.from(claims, 'base64url').toString())).toMatchObject({
        sub: 'test-key-id',
        iss: 'cdp',
        uris: [expected[i]?.replace(' /', ' api.cdp.coinbase.com/')],
      })
      const valid = verifySignature(
        null,
        Buffer.from(`${head}.${claims}`),
        publicKey,
        Buffer.from(signature, 'base64url'),
      )
      expect(valid).toBe(true)
    })
  })

  test('behavior: bad configuration throws at construction', () => {
    expect(() => httpFacilitator({})).toThrow('httpFacilitator: url is required')
    expect(() => httpFacilitator({ url: 'ftp://x' })).toThrow('httpFacilitator: url must be http(s)')
    expect(() => httpFacilitator({ url: 'nope' })).toThrow('httpFacilitator: url is not a valid URL')
    expect(() => httpFacilitator({ url: server.url, timeoutMs: { settle: -1 } })).toThrow(
      'httpFacilitator: timeoutMs.settle must be a positive integer number of milliseconds.',
    )
  })
})

test('toErrorCode', () => {
  expect(toErrorCode('insufficient_funds')).toBe('insufficient_funds')
  expect(toErrorCode('invalid_exact_evm_recipient_mismatch')).toBe('invalid_exact_evm_payload_recipient_mismatch')
  expect(toErrorCode('something_new')).toBe('payment_rejected')
  expect(toErrorCode(undefined)).toBe('payment_rejected')
})

describe('httpFacilitator release', () => {
  const fakeFetch = (extensions: string[] | 'down') => {
    const seen: string[] = []
    const fetch = async (request: Request) => {
      const path = new URL(request.url).pathname
      seen.push(`${request.method} ${path}`)
      if (path === '/supported') {
        if (extensions === 'down') return new Response('no', { status: 503 })
        return Response.json({ kinds: [], extensions, signers: {} })
      }
      if (path === '/release') return Response.json({ released: true })
      return new Response('not found', { status: 404 })
    }
    return { seen, fetch }
  }

  test('behavior: posts /release only when /supported lists tollgate-release, asking /supported once', async () => {
    const { seen, fetch } = fakeFetch(['tollgate-release'])
    const facilitator = httpFacilitator({ url: 'http://127.0.0.1:9', fetch })
    await facilitator.release?.(call)
    await facilitator.release?.(call)
    expect(seen).toEqual(['GET /supported', 'POST /release', 'POST /release'])
  })

  test('behavior: a facilitator without the extension (official ones) never gets /release', async () => {
    const { seen, fetch } = fakeFetch([])
    const facilitator = httpFacilitator({ url: 'http://127.0.0.1:9', fetch })
    await facilitator.release?.(call)
    await facilitator.release?.(call)
    expect(seen).toEqual(['GET /supported'])
  })

  test('behavior: an unreachable /supported is no failure and is asked again next time', async () => {
    const { seen, fetch } = fakeFetch('down')
    const facilitator = httpFacilitator({ url: 'http://127.0.0.1:9', fetch })
    await expect(facilitator.release?.(call)).resolves.toBeUndefined()
    await facilitator.release?.(call)
    expect(seen).toEqual(['GET /supported', 'GET /supported'])
  })
})

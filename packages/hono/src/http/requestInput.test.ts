import { Hono } from 'hono'
import { describe, expect, test } from 'vitest'
import { fakeFacilitator, payTo } from '../../test/demoApp.ts'
import { type PaymentRequiredOptions, paymentRequired } from '../paymentRequired.ts'

const accepts = { network: 'eip155:8453', price: '$0.001', payTo } as const
const text = { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } as const
const json = { 'content-type': 'application/json' }

function seller(options: Partial<PaymentRequiredOptions> = {}, before?: Parameters<Hono['use']>[1]) {
  const app = new Hono()
  if (before) app.use(before)
  app.use(
    paymentRequired({
      facilitator: fakeFacilitator().facilitator,
      routes: {
        'POST /summarize': { accepts, input: { body: text } },
        'POST /note': { accepts, input: { body: { type: 'string', maxLength: 100 }, bodyType: 'text' } },
        'POST /roomy': { accepts, input: { body: text, maxBodyBytes: 4096 } },
        'POST /search': { accepts, input: { query: { type: 'object', properties: { q: { type: 'string' } } } } },
      },
      ...options,
    }),
  )
  return app
}

/** A request whose body stream counts the chunks pulled from it. */
function counted(path: string, body: string) {
  const seen = { pulled: 0 }
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        seen.pulled++
        controller.enqueue(new TextEncoder().encode(body))
        controller.close()
      },
    },
    { highWaterMark: 0 },
  )
  const request = new Request(`http://seller.test${path}`, {
    method: 'POST',
    headers: json,
    body: stream,
    duplex: 'half',
  } as RequestInit)
  return { request, seen }
}

describe('the body cap (maxBodyBytes)', () => {
  test('default: a body past the cap gets 413 payload_too_large with CORS and no quote; at the cap it is quoted', async () => {
    const app = seller({ maxBodyBytes: 32 })
    const over = await app.request('/summarize', {
      method: 'POST',
      headers: { ...json, origin: 'https://buyer.example' },
      body: JSON.stringify({ text: 'x'.repeat(30) }),
    })
    expect(over.status).toBe(413)
    expect(await over.json()).toEqual({
      error: 'payload_too_large',
      message: 'The body is larger than 32 bytes, the most POST /summarize reads before payment; nothing was charged.',
    })
    expect(over.headers.get('payment-required')).toBeNull()
    expect(over.headers.get('access-control-allow-origin')).toBe('*')
    expect(over.headers.get('cache-control')).toBe('no-store')
    const at = await app.request('/summarize', { method: 'POST', headers: json, body: `{"text":"${'x'.repeat(21)}"}` })
    expect(at.status).toBe(402)
  })

  test('behavior: a route with input.maxBodyBytes uses its own cap instead', async () => {
    const app = seller({ maxBodyBytes: 32 })
    const body = JSON.stringify({ text: 'x'.repeat(1000) })
    expect((await app.request('/summarize', { method: 'POST', headers: json, body })).status).toBe(413)
    expect((await app.request('/roomy', { method: 'POST', headers: json, body })).status).toBe(402)
  })

  test('behavior: a text body is capped and checked as text', async () => {
    const app = seller({ maxBodyBytes: 64 })
    expect((await app.request('/note', { method: 'POST', body: 'hello' })).status).toBe(402)
    expect((await app.request('/note', { method: 'POST', body: 'h'.repeat(65) })).status).toBe(413)
  })

  test('behavior: a route that declares no body never has it read, whatever its size', async () => {
    const { request, seen } = counted('/search?q=x', 'y'.repeat(4096))
    const res = await seller({ maxBodyBytes: 32 }).request(request)
    expect(res.status).toBe(402)
    expect(seen.pulled).toBe(0)
  })

  test('behavior: a body an earlier middleware already read is checked from Hono’s cache', async () => {
    const app = seller({}, async (c, next) => {
      await c.req.json()
      await next()
    })
    expect((await app.request('/summarize', { method: 'POST', headers: json, body: '{"text":"hi"}' })).status).toBe(402)
    const wrong = await app.request('/summarize', { method: 'POST', headers: json, body: '{"text":1}' })
    expect(wrong.status).toBe(400)
    expect(await wrong.json()).toMatchObject({ error: 'invalid_request', issues: [{ in: 'body', path: 'text' }] })
  })

  test('behavior: bad maxBodyBytes options throw at construction, naming the field', () => {
    const build = (options: Record<string, unknown>) => () => seller(options as Partial<PaymentRequiredOptions>)
    for (const value of [0, -1, 1.5, '1024', Number.POSITIVE_INFINITY]) {
      expect(build({ maxBodyBytes: value })).toThrow(
        'paymentRequired: maxBodyBytes must be a positive integer (bytes).',
      )
    }
    const route = (input: Record<string, unknown>) =>
      build({ routes: { 'POST /a': { accepts, input } } as PaymentRequiredOptions['routes'] })
    expect(route({ body: text, maxBodyBytes: 0 })).toThrow(
      'paymentRequired: routes["POST /a"].input.maxBodyBytes: must be a positive integer (bytes)',
    )
    expect(route({ maxBodyBytes: 1024 })).toThrow(
      'paymentRequired: routes["POST /a"].input.maxBodyBytes: caps the body the middleware reads: declare input.body with it',
    )
  })
})

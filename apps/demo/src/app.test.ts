import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import type { FacilitatorCall, FacilitatorClient } from '@tollgate/hono'
import { decodeHeader, paymentRequiredV2Schema, settleResponseSchema } from '@tollgate/protocol'
import { x402Client } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { wrapFetchWithPayment } from '@x402/fetch'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { createDemoApp } from './app.ts'
import { defaultPayTo, parseDemoConfig } from './config.ts'

const payer = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a')

function demo() {
  const calls: { endpoint: string; call: FacilitatorCall }[] = []
  const facilitator: FacilitatorClient = {
    async verify(call) {
      calls.push({ endpoint: 'verify', call })
      return { ok: true, payer: payer.address, response: { isValid: true, payer: payer.address } }
    },
    async settle(call) {
      calls.push({ endpoint: 'settle', call })
      return {
        ok: true,
        response: { success: true, transaction: `0x${'12'.repeat(32)}`, network: 'eip155:8453', payer: payer.address },
      }
    },
  }
  const app = createDemoApp({ payTo: defaultPayTo, facilitator })
  const pay = wrapFetchWithPayment(
    async (input, init) => app.request(new Request(input, init)),
    new x402Client().register('eip155:8453', new ExactEvmScheme(payer)),
  )
  return { app, calls, pay }
}

async function quotedAmount(res: Response) {
  return decodeHeader(paymentRequiredV2Schema, res.headers.get('payment-required')).accepts[0]?.amount
}

describe('demo app', () => {
  test('default: free routes are free, paid routes quote their prices', async () => {
    const { app } = demo()
    expect((await app.request('/')).status).toBe(200)
    expect(await (await app.request('/health')).json()).toEqual({ ok: true })
    const weather = await app.request('http://127.0.0.1:4021/weather?city=Oslo')
    expect(weather.status).toBe(402)
    expect(await quotedAmount(weather)).toBe('1000')
    expect(await quotedAmount(await app.request('/history'))).toBe('10000')
  })

  test('behavior: /forecast is priced per day from the request', async () => {
    const { app } = demo()
    expect(await quotedAmount(await app.request('/forecast'))).toBe('3000')
    expect(await quotedAmount(await app.request('/forecast?days=7'))).toBe('7000')
  })

  test('behavior: /forecast?days=abc gets 400 naming days, never a quote', async () => {
    const { app, calls } = demo()
    for (const days of ['abc', '99', '2.5']) {
      const res = await app.request(`/forecast?days=${days}`)
      expect(res.status).toBe(400)
      expect(res.headers.get('payment-required')).toBeNull()
      const body = await res.json()
      expect(body).toMatchObject({ error: 'invalid_request', issues: [{ in: 'query', path: 'days' }] })
      expect(body.message).toContain('query days')
    }
    expect(calls).toEqual([])
  })

  test('behavior: the official client pays for /weather and /forecast; /history settles first', async () => {
    const { pay, calls } = demo()
    const weather = await pay('http://127.0.0.1:4021/weather?city=Oslo')
    expect(weather.status).toBe(200)
    expect(await weather.json()).toMatchObject({ city: 'Oslo', paidBy: payer.address })
    expect(decodeHeader(settleResponseSchema, weather.headers.get('payment-response')).success).toBe(true)

    const forecast = await pay('http://127.0.0.1:4021/forecast?days=2')
    expect((await forecast.json()).days).toHaveLength(2)

    const history = await pay('http://127.0.0.1:4021/history')
    expect((await history.json()).transaction).toBe(`0x${'12'.repeat(32)}`)
    expect(calls.map((c) => c.endpoint)).toEqual(['verify', 'settle', 'verify', 'settle', 'settle'])
    expect(calls[2]?.call.paymentRequirements).toMatchObject({ amount: '2000' })
  })
})

describe('demo POST /compare (a JSON body)', () => {
  const json = { 'content-type': 'application/json' }
  const compare = (body: string) => ({ method: 'POST', headers: json, body })

  test('default: quoted at $0.002 for a valid body; the official client pays and the handler reads the body', async () => {
    const { app, pay, calls } = demo()
    expect(await quotedAmount(await app.request('/compare', compare('{"cities":["Oslo","Lima"]}')))).toBe('2000')
    const res = await pay('http://127.0.0.1:4021/compare', compare('{"cities":["oslo","Lima"]}'))
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      cities: [{ city: 'Oslo' }, { city: 'Lima' }],
      warmest: expect.any(String),
      paidBy: payer.address,
    })
    expect(calls.map((c) => c.endpoint)).toEqual(['verify', 'settle'])
  })

  test('behavior: a body that is not { cities } gets 400 naming it; one past 1 MiB gets 413; neither is quoted', async () => {
    const { app, calls } = demo()
    const wrong = await app.request('/compare', compare('{"cities":[]}'))
    expect(wrong.status).toBe(400)
    expect(await wrong.json()).toMatchObject({ error: 'invalid_request', issues: [{ in: 'body', path: 'cities' }] })
    const huge = await app.request('/compare', compare(JSON.stringify({ cities: ['x'.repeat(1024 * 1024)] })))
    expect(huge.status).toBe(413)
    expect(await huge.json()).toMatchObject({ error: 'payload_too_large' })
    expect(huge.headers.get('payment-required')).toBeNull()
    expect(calls).toEqual([])
  })

  test('behavior: an unknown city is a 404, verified and not charged', async () => {
    const { pay, calls } = demo()
    const res = await pay('http://127.0.0.1:4021/compare', compare('{"cities":["Oslo","Atlantis"]}'))
    expect(res.status).toBe(404)
    expect(calls.map((c) => c.endpoint)).toEqual(['verify'])
  })
})

describe('demo MCP server', () => {
  test('default: get_forecast is priced per day from its arguments; paid, it is served with the receipt', async () => {
    const { app, calls } = demo()
    const client = new Client({ name: 'buyer', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL('http://127.0.0.1:4021/mcp'), {
        fetch: async (input, init) => app.request(new Request(input, init)),
      }),
    )
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(['get_forecast', 'list_cities'])
    const call = (args: Record<string, unknown>, payment?: unknown) =>
      client.callTool({
        name: 'get_forecast',
        arguments: args,
        ...(payment ? { _meta: { 'x402/payment': payment } } : {}),
      }) as Promise<CallToolResult>
    const unpaid = await call({ city: 'Oslo', days: 5 })
    expect(unpaid.structuredContent).toMatchObject({ accepts: [{ amount: '5000' }] })
    expect((await call({})).structuredContent).toMatchObject({ accepts: [{ amount: '3000' }] })
    const signer = new x402Client().register('eip155:8453', new ExactEvmScheme(payer))
    const paid = await call(
      { city: 'Oslo', days: 5 },
      await signer.createPaymentPayload(unpaid.structuredContent as never),
    )
    expect(paid.structuredContent).toMatchObject({ city: 'Oslo', paidBy: payer.address })
    expect(paid._meta?.['x402/payment-response']).toMatchObject({ success: true })
    // An unknown city is an isError result: verified, never settled.
    const nowhere = await call({ city: 'Atlantis', days: 1 })
    const refused = await call(
      { city: 'Atlantis', days: 1 },
      await signer.createPaymentPayload(nowhere.structuredContent as never),
    )
    expect(refused.isError).toBe(true)
    expect(calls.map((c) => c.endpoint)).toEqual(['verify', 'settle', 'verify'])
    await client.close()
  })
})

describe('config', () => {
  test('default', () => {
    expect(parseDemoConfig({})).toEqual({
      host: '127.0.0.1',
      port: 4021,
      facilitatorUrl: 'http://127.0.0.1:4020',
      payTo: defaultPayTo,
      network: 'eip155:8453',
      delivery: 'settled',
    })
    expect(parseDemoConfig({ TOLLGATE_DEMO_DELIVERY: 'optimistic' }).delivery).toBe('optimistic')
  })

  test('behavior: malformed values name the variable', () => {
    expect(() => parseDemoConfig({ TOLLGATE_DEMO_PORT: 'x' })).toThrow('TOLLGATE_DEMO_PORT must be a port number')
    expect(() => parseDemoConfig({ TOLLGATE_PAY_TO: '0x1' })).toThrow('TOLLGATE_PAY_TO must be an EVM address')
    expect(() => parseDemoConfig({ TOLLGATE_FACILITATOR_URL: 'nope' })).toThrow(
      'TOLLGATE_FACILITATOR_URL must be a URL',
    )
    expect(() => parseDemoConfig({ TOLLGATE_DEMO_DELIVERY: 'fast' })).toThrow(
      'TOLLGATE_DEMO_DELIVERY must be settled or optimistic',
    )
  })
})

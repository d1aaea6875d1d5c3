import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import type { FacilitatorClient } from '@tollgate/hono'
import type { PaymentRequiredV2 } from '@tollgate/protocol'
import { x402Client } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { Hono } from 'hono'
import { describe, expect, test } from 'vitest'
import * as z from 'zod'
import { fakeFacilitator, type Log, payer, payTo, settled, transaction } from '../test/fakeFacilitator.ts'
import { mcpPayments } from './mcpPayments.ts'
import { serveMcp } from './serveMcp.ts'

/** A Hono app serving one paid tool (`forecast`, $0.001 per day) and its MCP client over app.request. */
async function setup(
  facilitator: FacilitatorClient,
  options: {
    settle?: 'after' | 'before'
    gate?: Promise<void>
    delivery?: 'optimistic' | 'settled'
    optimistic?: { maxPrice?: `$${string}`; maxPerPayer?: `$${string}` }
  } = {},
) {
  const payments = mcpPayments({ facilitator })
  const app = new Hono()
  const seen: unknown[] = []
  app.post(
    '/mcp',
    serveMcp(() => {
      const server = new McpServer({ name: 'test', version: '1.0.0' })
      payments.tool(
        server,
        'forecast',
        {
          description: 'Forecast',
          inputSchema: { city: z.string(), days: z.number().int().min(1).max(7) },
        },
        {
          accepts: { network: 'eip155:8453', payTo, price: ({ days }) => 1000n * BigInt(days) },
          ...(options.settle ? { settle: options.settle } : {}),
          ...(options.delivery ? { delivery: options.delivery } : {}),
          ...(options.optimistic ? { optimistic: options.optimistic } : {}),
        },
        async ({ city, days }, { payment }) => {
          seen.push(payment)
          await options.gate
          if (city === 'Boom') throw new Error('the tool broke')
          if (city === 'Atlantis') return { isError: true, content: [{ type: 'text', text: 'unknown city' }] }
          return { content: [{ type: 'text', text: `${days} days in ${city}` }] }
        },
      )
      return server
    }),
  )
  const client = new Client({ name: 'buyer', version: '1.0.0' })
  await client.connect(
    new StreamableHTTPClientTransport(new URL('http://seller.test/mcp'), {
      fetch: async (input, init) => app.request(new Request(input, init)),
    }),
  )
  const signer = new x402Client().register('eip155:8453', new ExactEvmScheme(payer))
  const call = (args: Record<string, unknown>, payment?: unknown) =>
    client.callTool({
      name: 'forecast',
      arguments: args,
      ...(payment === undefined ? {} : { _meta: { 'x402/payment': payment } }),
    }) as Promise<CallToolResult>
  const pay = async (args: Record<string, unknown>) => {
    const unpaid = await call(args)
    return signer.createPaymentPayload(unpaid.structuredContent as never)
  }
  return { app, client, call, pay, seen }
}

describe('paid MCP tools', () => {
  test('default: an unpaid call gets the PaymentRequired, priced from the arguments', async () => {
    const { call, client } = await setup(fakeFacilitator())
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['forecast'])
    const result = await call({ city: 'Oslo', days: 2 })
    expect(result.isError).toBe(true)
    const required = result.structuredContent as PaymentRequiredV2
    expect(required).toMatchObject({
      x402Version: 2,
      error: 'payment_required',
      resource: { url: 'mcp://tool/forecast', description: 'Forecast', mimeType: 'application/json' },
      accepts: [{ scheme: 'exact', network: 'eip155:8453', amount: '2000', payTo }],
    })
    expect(JSON.parse((result.content[0] as { text: string }).text)).toEqual(required)
  })

  test('behavior: paid, it verifies, runs, settles and returns the receipt in _meta', async () => {
    const log: Log = []
    const { call, pay, seen } = await setup(fakeFacilitator({}, log))
    const payment = await pay({ city: 'Oslo', days: 3 })
    const result = await call({ city: 'Oslo', days: 3 }, payment)
    expect(result.isError).toBeFalsy()
    expect(result.content).toEqual([{ type: 'text', text: '3 days in Oslo' }])
    expect(result._meta?.['x402/payment-response']).toEqual(settled.ok && settled.response)
    expect(log.map((entry) => entry.endpoint)).toEqual(['verify', 'settle'])
    expect(log[0]?.call).toMatchObject({ x402Version: 2, paymentRequirements: { amount: '3000' } })
    expect(log[0]?.call.tollgate?.claim).toBe(log[1]?.call.tollgate?.claim)
    expect(seen[0]).toMatchObject({ tool: 'forecast', amount: 3000n, payer: payer.address })
  })

  test('behavior: a tool that returns isError is not charged; its reservation is given back', async () => {
    const log: Log = []
    const { call, pay } = await setup(fakeFacilitator({}, log))
    const result = await call({ city: 'Atlantis', days: 1 }, await pay({ city: 'Atlantis', days: 1 }))
    expect(result).toMatchObject({ isError: true, content: [{ type: 'text', text: 'unknown city' }] })
    expect(result._meta?.['x402/payment-response']).toBeUndefined()
    expect(log.map((entry) => entry.endpoint)).toEqual(['verify', 'release'])
  })

  test('behavior: a tool that throws is not charged either', async () => {
    const log: Log = []
    const { call, pay } = await setup(fakeFacilitator({}, log))
    const result = await call({ city: 'Boom', days: 1 }, await pay({ city: 'Boom', days: 1 }))
    expect(result.isError).toBe(true)
    expect((result.content[0] as { text: string }).text).toContain('the tool broke')
    expect(log.map((entry) => entry.endpoint)).toEqual(['verify', 'release'])
  })

  test('behavior: a failed settlement withholds the result', async () => {
    const { call, pay } = await setup(
      fakeFacilitator({
        settle: () => ({
          ok: false,
          code: 'invalid_exact_evm_payload_authorization_valid_before',
          reason: 'invalid_exact_evm_payload_authorization_valid_before',
          response: { success: false, errorReason: 'expired', transaction: '', network: 'eip155:8453' },
        }),
      }),
    )
    const result = await call({ city: 'Oslo', days: 1 }, await pay({ city: 'Oslo', days: 1 }))
    expect(result.isError).toBe(true)
    expect(JSON.stringify(result)).not.toContain('days in Oslo')
    expect(result.structuredContent).toMatchObject({
      error: 'invalid_exact_evm_payload_authorization_valid_before',
      accepts: [{ amount: '1000' }],
    })
    expect(result._meta?.['x402/payment-response']).toMatchObject({ success: false })
  })

  test('behavior: an overloaded facilitator is facilitator_unavailable with retryAfterSeconds, never the buyer fault', async () => {
    const busy = { ok: false, code: 'rate_limited', reason: 'rate_limited', retryAfterSeconds: 7 } as const
    const atVerify = await setup(fakeFacilitator({ verify: () => busy }))
    const refused = await atVerify.call({ city: 'Oslo', days: 1 }, await atVerify.pay({ city: 'Oslo', days: 1 }))
    expect(refused.structuredContent).toMatchObject({ error: 'facilitator_unavailable', retryAfterSeconds: 7 })
    const atSettle = await setup(fakeFacilitator({ settle: () => busy }))
    const withheld = await atSettle.call({ city: 'Oslo', days: 1 }, await atSettle.pay({ city: 'Oslo', days: 1 }))
    expect(withheld.structuredContent).toMatchObject({ error: 'facilitator_unavailable', retryAfterSeconds: 7 })
    expect(JSON.stringify(withheld)).not.toContain('days in Oslo')
  })

  test('behavior: pending answers settlement_pending without accepts; the same payment is then served', async () => {
    let pending = true
    const log: Log = []
    const { call, pay } = await setup(
      fakeFacilitator(
        {
          verify: () =>
            log.filter((entry) => entry.endpoint === 'verify').length > 1
              ? { ok: false, code: 'settlement_pending', reason: 'settlement_pending' }
              : { ok: true, payer: payer.address, response: { isValid: true, payer: payer.address } },
          settle: () =>
            pending
              ? {
                  ok: false,
                  code: 'settlement_pending',
                  reason: 'settlement_pending',
                  response: { success: false, errorReason: 'settlement_pending', transaction, network: 'eip155:8453' },
                }
              : settled,
        },
        log,
      ),
    )
    const payment = await pay({ city: 'Lima', days: 2 })
    const first = await call({ city: 'Lima', days: 2 }, payment)
    expect(first.isError).toBe(true)
    expect(first.structuredContent).toEqual({
      x402Version: 2,
      error: 'settlement_pending',
      message: expect.stringContaining('send the same payment again'),
      transaction,
      network: 'eip155:8453',
      retryAfterSeconds: 2,
    })
    expect(JSON.stringify(first)).not.toContain('days in Lima')
    pending = false
    const retry = await call({ city: 'Lima', days: 2 }, payment)
    expect(retry.content).toEqual([{ type: 'text', text: '2 days in Lima' }])
    expect(retry._meta?.['x402/payment-response']).toMatchObject({ success: true, transaction })
    expect(log.map((entry) => entry.endpoint)).toEqual(['verify', 'settle', 'verify', 'settle'])
  })

  test('behavior: a replay the facilitator refuses is never served', async () => {
    let delivered = false
    const { call, pay, seen } = await setup(
      fakeFacilitator({
        verify: () =>
          delivered
            ? {
                ok: false,
                code: 'invalid_exact_evm_nonce_already_used',
                reason: 'invalid_exact_evm_nonce_already_used',
              }
            : { ok: true, payer: payer.address, response: { isValid: true, payer: payer.address } },
        settle: () => {
          if (!delivered) {
            delivered = true
            return settled
          }
          return {
            ok: false,
            code: 'payment_already_delivered',
            reason: 'payment_already_delivered',
            response: { success: false, errorReason: 'payment_already_delivered', transaction, network: 'eip155:8453' },
          }
        },
      }),
      { settle: 'before' },
    )
    const payment = await pay({ city: 'Oslo', days: 1 })
    expect((await call({ city: 'Oslo', days: 1 }, payment)).isError).toBeFalsy()
    const replay = await call({ city: 'Oslo', days: 1 }, payment)
    expect(replay.structuredContent).toMatchObject({ error: 'payment_already_delivered', transaction })
    expect(replay.structuredContent).not.toHaveProperty('accepts')
    expect(seen).toHaveLength(1)
  })

  test('behavior: an optimistic tool settles first, asking for optimistic delivery within its bounds', async () => {
    const log: Log = []
    const { call, pay, seen } = await setup(fakeFacilitator({}, log), {
      delivery: 'optimistic',
      optimistic: { maxPrice: '$0.002', maxPerPayer: '$0.01' },
    })
    const payment = await pay({ city: 'Oslo', days: 1 })
    expect((await call({ city: 'Oslo', days: 1 }, payment)).isError).toBeFalsy()
    expect(log.map((entry) => entry.endpoint)).toEqual(['settle'])
    expect(log[0]?.call.tollgate).toMatchObject({ delivery: 'optimistic', exposure: { perPayer: '10000' } })
    expect(seen).toHaveLength(1)

    // Over the price ceiling: delivered settled (verify, run, settle), no optimistic request.
    log.length = 0
    const dear = await pay({ city: 'Oslo', days: 3 })
    expect((await call({ city: 'Oslo', days: 3 }, dear)).isError).toBeFalsy()
    expect(log.map((entry) => entry.endpoint)).toEqual(['verify', 'settle'])
    expect(log[1]?.call.tollgate).not.toHaveProperty('delivery')
  })

  test('behavior: a bad delivery option is refused at construction, naming the tool', () => {
    const payments = mcpPayments({ facilitator: fakeFacilitator() })
    const accepts = { network: 'eip155:8453', payTo, price: '$0.001' } as const
    const tool = (options: Record<string, unknown>) => () =>
      payments.paid('forecast', { accepts, ...options }, async () => ({ content: [] }))
    expect(tool({ delivery: 'soon' })).toThrowError(
      /mcpPayments: tools\["forecast"\]\.delivery: must be "optimistic" or "settled"/,
    )
    expect(tool({ delivery: 'optimistic', optimistic: { maxPrice: 'cheap' } })).toThrowError(
      /mcpPayments: tools\["forecast"\]\.optimistic\.maxPrice/,
    )
  })

  test('behavior: the same payment twice at once is processed once', async () => {
    let open: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    const { call, pay, seen } = await setup(fakeFacilitator(), { gate })
    const payment = await pay({ city: 'Oslo', days: 1 })
    const first = call({ city: 'Oslo', days: 1 }, payment)
    while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    const second = await call({ city: 'Oslo', days: 1 }, payment)
    expect(second.structuredContent).toMatchObject({ error: 'authorization_in_use' })
    open()
    expect((await first).isError).toBeFalsy()
    expect(seen).toHaveLength(1)
  })

  test('behavior: bad payments are refused with the quote and a reason; the facilitator is never asked', async () => {
    const log: Log = []
    const { call, pay } = await setup(fakeFacilitator({}, log))
    const payment = await pay({ city: 'Oslo', days: 1 })
    const cases: [unknown, string][] = [
      [{ nonsense: true }, 'invalid_payload'],
      [{ x402Version: 1, scheme: 'exact', network: 'base', payload: payment.payload }, 'invalid_x402_version'],
      [payment, 'payment_requirements_mismatch'], // paid for 1 day, called for 2
      [{ ...payment, payload: { ...payment.payload, signature: '0xnothex' } }, 'invalid_payload'],
    ]
    for (const [index, [sent, error]] of cases.entries()) {
      const result = await call({ city: 'Oslo', days: index === 2 ? 2 : 1 }, sent)
      expect(result.isError, `case ${index}: ${JSON.stringify(result)}`).toBe(true)
      expect(result.structuredContent).toMatchObject({ x402Version: 2, error, accepts: [{}] })
    }
    expect(log).toEqual([])
  })

  test('behavior: arguments that fail the input schema are refused before any quote', async () => {
    const log: Log = []
    const { call } = await setup(fakeFacilitator({}, log))
    const result = await call({ city: 'Oslo', days: 9 })
    expect(result.isError).toBe(true)
    expect(result.structuredContent).toBeUndefined()
    expect((result.content[0] as { text: string }).text).toContain('Input validation error')
  })

  test('behavior: a GET gets 405; bad options throw a ConfigError naming the field', async () => {
    const { app } = await setup(fakeFacilitator())
    expect((await app.request('http://seller.test/mcp')).status).toBe(404)
    const handler = new Hono().all(
      '/mcp',
      serveMcp(() => new McpServer({ name: 't', version: '1' })),
    )
    expect((await handler.request('/mcp')).status).toBe(405)
    expect(() => mcpPayments({ facilitator: {} as FacilitatorClient })).toThrow('facilitator must have verify()')
    const payments = mcpPayments({ facilitator: fakeFacilitator() })
    const server = new McpServer({ name: 't', version: '1' })
    expect(() =>
      payments.tool(
        server,
        'x',
        { inputSchema: {} },
        { accepts: { network: 'eip155:8453', payTo, price: '$0' } },
        () => ({
          content: [],
        }),
      ),
    ).toThrow('mcpPayments: tools["x"].accepts.price: must be greater than zero')
    expect(() =>
      payments.tool(
        server,
        'bad name',
        { inputSchema: {} },
        { accepts: { network: 'eip155:8453', payTo, price: '1' } },
        () => ({
          content: [],
        }),
      ),
    ).toThrow('mcpPayments: tools["bad name"]')
  })
})

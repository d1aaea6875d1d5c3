/**
 * Paid MCP tools end to end on Node: a real anvil, Tollgate's facilitator over HTTP (SQLite ledger,
 * reconciler running), the demo API (`POST /mcp`, tool `get_forecast`) on `@hono/node-server`, the MCP
 * SDK's client over Streamable HTTP, and payments signed by the official v2 client (`@x402/core` +
 * `@x402/evm`) from the tool's PaymentRequired. Balances are read on chain.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { authorizationId } from '@tollgate/facilitator'
import { httpFacilitator } from '@tollgate/hono'
import { mcpPayments, serveMcp } from '@tollgate/mcp'
import { type PaymentRequiredV2, settleResponseSchema } from '@tollgate/protocol'
import { x402Client } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { Hono } from 'hono'
import type { Address, Hex, LocalAccount } from 'viem'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import * as z from 'zod'
import { createDemoApp } from '../../apps/demo/src/app.ts'
import type { RunningFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { startTestFacilitator, type TestFacilitator } from '../hono/facilitators.ts'
import { listen, type Seller } from '../hono/listen.ts'

let chain: LocalChain
let tollgate: TestFacilitator
let facilitator: RunningFacilitator
let demo: Seller
const sellers: Seller[] = []
const clients: Client[] = []

const sellerFacilitator = () =>
  httpFacilitator({ url: facilitator.url, ...(tollgate.apiKey ? { apiKey: tollgate.apiKey } : {}) })

beforeAll(async () => {
  chain = await startLocalChain()
  tollgate = await startTestFacilitator(chain, 'tollgate', {
    // Short enough that an unmined settlement answers pending at once; the reconciler runs often.
    TOLLGATE_RECEIPT_TIMEOUT_MS: '400',
    TOLLGATE_POLLING_INTERVAL_MS: '50',
    TOLLGATE_RECONCILE_INTERVAL_MS: '500',
  })
  facilitator = tollgate.running as RunningFacilitator
  demo = await listen(
    createDemoApp({
      payTo: chain.accounts.seller.address,
      network: chain.network,
      facilitator: sellerFacilitator(),
    }) as unknown as Hono,
  )
})

afterEach(async () => {
  await chain.testClient.setAutomine(true) // a failed test leaves mining on for the next
  await Promise.all(clients.splice(0).map((client) => client.close()))
  await Promise.all(sellers.splice(0).map((seller) => seller.stop()))
})

afterAll(async () => {
  try {
    await demo?.stop()
    await tollgate?.stop()
  } finally {
    await chain?.stop()
  }
})

/** An MCP SDK client connected to `url` over Streamable HTTP. */
async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'tollgate-test-buyer', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(url)))
  clients.push(client)
  return client
}

/** Calls a tool, with `payment` in `_meta["x402/payment"]` when given. */
function callTool(client: Client, name: string, args: Record<string, unknown>, payment?: unknown) {
  return client.callTool({
    name,
    arguments: args,
    ...(payment === undefined ? {} : { _meta: { 'x402/payment': payment } }),
  }) as Promise<CallToolResult>
}

/** The tool's PaymentRequired for `args`, and a payment for it signed by the official v2 client. */
async function signPayment(client: Client, payer: LocalAccount, name: string, args: Record<string, unknown>) {
  const unpaid = await callTool(client, name, args)
  expect(unpaid.isError).toBe(true)
  const required = unpaid.structuredContent as PaymentRequiredV2
  const payment = await new x402Client()
    .register('eip155:8453', new ExactEvmScheme(payer))
    .createPaymentPayload(required as never)
  const { from, nonce } = (payment.payload as { authorization: { from: Address; nonce: Hex } }).authorization
  return { required, payment, nonce, id: authorizationId({ chainId: chain.chainId, asset: chain.usdc, from, nonce }) }
}

const receiptOf = (result: CallToolResult) => settleResponseSchema.parse(result._meta?.['x402/payment-response'])
const sellerBalance = () => chain.balanceOf(chain.accounts.seller.address)

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await read()
    if (done(value) || Date.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('the demo MCP server, paid with the official client', () => {
  test('default: lists its tools; an unpaid get_forecast gets the PaymentRequired, priced per day', async () => {
    const client = await connect(`${demo.url}/mcp`)
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name).sort()).toEqual(['get_forecast', 'list_cities'])
    expect(tools.find((tool) => tool.name === 'get_forecast')?.inputSchema.properties).toMatchObject({
      days: { type: 'integer', minimum: 1, maximum: 7 },
    })
    const unpaid = await callTool(client, 'get_forecast', { city: 'Oslo', days: 2 })
    expect(unpaid.isError).toBe(true)
    expect(unpaid.structuredContent).toMatchObject({
      x402Version: 2,
      resource: { url: 'mcp://tool/get_forecast' },
      accepts: [
        {
          scheme: 'exact',
          network: 'eip155:8453',
          amount: '2000',
          payTo: chain.accounts.seller.address,
          asset: chain.usdc,
        },
      ],
    })
    expect(JSON.parse((unpaid.content[0] as { text: string }).text)).toEqual(unpaid.structuredContent)
    // The free tool is free.
    expect((await callTool(client, 'list_cities', {})).structuredContent).toMatchObject({ cities: expect.any(Array) })
  })

  test('behavior: paid, it returns the forecast and the receipt; the seller gains the price on chain', async () => {
    const client = await connect(`${demo.url}/mcp`)
    const payer = chain.accounts.payers[0]
    const args = { city: 'Oslo', days: 2 }
    const { payment } = await signPayment(client, payer, 'get_forecast', args)
    const before = await sellerBalance()
    const paid = await callTool(client, 'get_forecast', args, payment)
    expect(paid.isError).toBeFalsy()
    expect(paid.structuredContent).toMatchObject({
      city: 'Oslo',
      days: [{ day: 1 }, { day: 2 }],
      paidBy: payer.address,
    })
    const receipt = receiptOf(paid)
    expect(receipt).toMatchObject({ success: true, network: 'eip155:8453', payer: payer.address })
    expect((await chain.publicClient.getTransactionReceipt({ hash: receipt.transaction as Hex })).status).toBe(
      'success',
    )
    expect((await sellerBalance()) - before).toBe(2000n)
  })

  test('behavior: a tool result with isError charges nothing, and the same payment then works', async () => {
    const client = await connect(`${demo.url}/mcp`)
    const payer = chain.accounts.payers[1]
    const { payment, id } = await signPayment(client, payer, 'get_forecast', { city: 'Atlantis', days: 1 })
    const before = { seller: await sellerBalance(), payer: await chain.balanceOf(payer.address) }
    const failed = await callTool(client, 'get_forecast', { city: 'Atlantis', days: 1 }, payment)
    expect(failed.isError).toBe(true)
    expect((failed.content[0] as { text: string }).text).toContain('unknown_city')
    expect(failed._meta?.['x402/payment-response']).toBeUndefined()
    expect((await facilitator.facilitator.store.get(id))?.state).toBe('released')
    expect(await sellerBalance()).toBe(before.seller)
    expect(await chain.balanceOf(payer.address)).toBe(before.payer)
    // The reservation was given back: the same payment buys a forecast for a known city (same price).
    const paid = await callTool(client, 'get_forecast', { city: 'Paris', days: 1 }, payment)
    expect(receiptOf(paid).success).toBe(true)
    expect((await sellerBalance()) - before.seller).toBe(1000n)
  })

  test('behavior: the same payment sent twice is served once, also by another seller instance', async () => {
    const other = await listen(
      createDemoApp({
        payTo: chain.accounts.seller.address,
        network: chain.network,
        facilitator: sellerFacilitator(),
      }) as unknown as Hono,
    )
    sellers.push(other)
    const client = await connect(`${demo.url}/mcp`)
    const elsewhere = await connect(`${other.url}/mcp`)
    const args = { city: 'Tokyo', days: 3 }
    const { payment } = await signPayment(client, chain.accounts.payers[2], 'get_forecast', args)
    const before = await sellerBalance()
    const first = await callTool(client, 'get_forecast', args, payment)
    const { transaction } = receiptOf(first)
    for (const target of [client, client, elsewhere]) {
      const replay = await callTool(target, 'get_forecast', args, payment)
      expect(replay.isError).toBe(true)
      expect(replay.structuredContent).toMatchObject({ error: 'payment_already_delivered', transaction })
      expect(replay.structuredContent).not.toHaveProperty('accepts')
      expect(JSON.stringify(replay)).not.toContain('"day":1')
    }
    expect((await sellerBalance()) - before).toBe(3000n)
  })

  test('behavior: pending answers settlement_pending; the same payment is served once it settles', async () => {
    const client = await connect(`${demo.url}/mcp`)
    const args = { city: 'Lima', days: 1 }
    const { payment, id } = await signPayment(client, chain.accounts.payers[3], 'get_forecast', args)
    const before = await sellerBalance()

    await chain.testClient.setAutomine(false)
    const pending = await callTool(client, 'get_forecast', args, payment)
    expect(pending.isError).toBe(true)
    expect(pending.structuredContent).toMatchObject({ error: 'settlement_pending', retryAfterSeconds: 2 })
    expect(pending.structuredContent).not.toHaveProperty('accepts')
    expect(JSON.stringify(pending)).not.toContain('"day":1')
    const { transaction } = pending.structuredContent as { transaction: string }
    expect(transaction).toMatch(/^0x[0-9a-f]{64}$/)
    expect((await callTool(client, 'get_forecast', args, payment)).structuredContent).toMatchObject({
      error: 'settlement_pending',
    })

    await chain.testClient.mine({ blocks: 1 })
    await chain.testClient.setAutomine(true)
    await until(
      () => facilitator.facilitator.store.get(id),
      (row) => row?.state === 'settled',
    )
    const served = await callTool(client, 'get_forecast', args, payment)
    expect(served.structuredContent).toMatchObject({ city: 'Lima', days: [{ day: 1 }] })
    expect(receiptOf(served)).toMatchObject({ success: true, transaction })
    const late = await callTool(client, 'get_forecast', args, payment)
    expect(late.structuredContent).toMatchObject({ error: 'payment_already_delivered' })
    expect((await sellerBalance()) - before).toBe(1000n)
  })
})

describe('a paid tool whose settlement fails', () => {
  test('default: the payer spends its nonce while the tool runs; the result is withheld, nothing is charged', async () => {
    const payer = chain.accounts.payers[4]
    let nonce: Hex | undefined
    const payments = mcpPayments({ facilitator: sellerFacilitator() })
    const app = new Hono()
    app.post(
      '/mcp',
      serveMcp(() => {
        const server = new McpServer({ name: 'report', version: '1.0.0' })
        payments.tool(
          server,
          'report',
          { inputSchema: { topic: z.string() } },
          { accepts: { network: chain.network, price: '$0.004', payTo: chain.accounts.seller.address } },
          async ({ topic }) => {
            // Between verify and settle: the payer cancels its authorization on the token.
            await chain.cancelAuthorization({ payer, nonce: nonce as Hex })
            return { content: [{ type: 'text', text: `the secret report on ${topic}` }] }
          },
        )
        return server
      }),
    )
    const seller = await listen(app)
    sellers.push(seller)
    const client = await connect(`${seller.url}/mcp`)
    const signed = await signPayment(client, payer, 'report', { topic: 'fog' })
    nonce = signed.nonce
    const before = { seller: await sellerBalance(), payer: await chain.balanceOf(payer.address) }
    const result = await callTool(client, 'report', { topic: 'fog' }, signed.payment)
    expect(result.isError).toBe(true)
    expect(JSON.stringify(result)).not.toContain('secret report')
    expect(result.structuredContent).toMatchObject({ x402Version: 2, accepts: [{ amount: '4000' }] })
    expect((result.structuredContent as { error: string }).error).not.toBe('payment_required')
    expect(receiptOf(result).success).toBe(false)
    expect(await sellerBalance()).toBe(before.seller)
    expect(await chain.balanceOf(payer.address)).toBe(before.payer)
  })
})

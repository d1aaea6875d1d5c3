/**
 * The demo's paid MCP tool inside workerd (Miniflare 4, the Worker entry bundled with esbuild as wrangler would, no
 * `nodejs_compat`): the MCP SDK's client over Streamable HTTP lists the tools, gets the PaymentRequired, pays with
 * the official v2 client (`@x402/core` + `@x402/evm`) against Tollgate's facilitator and anvil on loopback, and
 * gets the forecast with the receipt; the seller's balance rises by the price.
 *
 * @see reference/workers.md §1 (esbuild and Miniflare options that work on Node 20)
 */
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { type PaymentRequiredV2, settleResponseSchema } from '@tollgate/protocol'
import { x402Client } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { startTestFacilitator, type TestFacilitator } from '../hono/facilitators.ts'
import { type RunningWorker, startWorker } from '../hono/worker.ts'

const root = join(import.meta.dirname, '..', '..')

let chain: LocalChain
let facilitator: TestFacilitator
let worker: RunningWorker
let client: Client

beforeAll(async () => {
  chain = await startLocalChain()
  facilitator = await startTestFacilitator(chain, 'tollgate')
  worker = await startWorker(join(root, 'apps/demo/src/worker.ts'), {
    TOLLGATE_FACILITATOR_URL: facilitator.url,
    // A secret of the Worker, read from c.env per request: it reaches the paid tool's facilitator calls too.
    TOLLGATE_FACILITATOR_API_KEY: facilitator.apiKey ?? '',
    TOLLGATE_PAY_TO: chain.accounts.seller.address,
    TOLLGATE_NETWORK: 'eip155:8453',
  })
  client = new Client({ name: 'tollgate-test-buyer', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(`${worker.url}/mcp`)))
})

afterAll(async () => {
  try {
    await client?.close()
    await worker?.stop()
  } finally {
    await facilitator?.stop()
    await chain?.stop()
  }
})

const call = (args: Record<string, unknown>, payment?: unknown) =>
  client.callTool({
    name: 'get_forecast',
    arguments: args,
    ...(payment === undefined ? {} : { _meta: { 'x402/payment': payment } }),
  }) as Promise<CallToolResult>

describe('demo MCP tool in a Worker (Miniflare)', () => {
  test('default: lists the tools; an unpaid call gets the PaymentRequired', async () => {
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(['get_forecast', 'list_cities'])
    const unpaid = await call({ city: 'Oslo', days: 4 })
    expect(unpaid.isError).toBe(true)
    expect(unpaid.structuredContent).toMatchObject({
      x402Version: 2,
      resource: { url: 'mcp://tool/get_forecast' },
      accepts: [{ amount: '4000', payTo: chain.accounts.seller.address }],
    })
  })

  test('behavior: the official v2 client pays the tool; result and receipt; the seller gains the price', async () => {
    const payer = chain.accounts.payers[0]
    const args = { city: 'Lagos', days: 2 }
    const unpaid = await call(args)
    const payment = await new x402Client()
      .register('eip155:8453', new ExactEvmScheme(payer))
      .createPaymentPayload(unpaid.structuredContent as PaymentRequiredV2 as never)
    const before = await chain.balanceOf(chain.accounts.seller.address)
    const paid = await call(args, payment)
    expect(paid.isError).toBeFalsy()
    expect(paid.structuredContent).toMatchObject({
      city: 'Lagos',
      days: [{ day: 1 }, { day: 2 }],
      paidBy: payer.address,
    })
    const receipt = settleResponseSchema.parse(paid._meta?.['x402/payment-response'])
    expect(receipt.success).toBe(true)
    expect((await chain.publicClient.getTransactionReceipt({ hash: receipt.transaction as Hex })).status).toBe(
      'success',
    )
    expect((await chain.balanceOf(chain.accounts.seller.address)) - before).toBe(2000n)
    // The same payment again: never served twice.
    const replay = await call(args, payment)
    expect(replay.structuredContent).toMatchObject({ error: 'payment_already_delivered' })
    expect((await chain.balanceOf(chain.accounts.seller.address)) - before).toBe(2000n)
  })
})

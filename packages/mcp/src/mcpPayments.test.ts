import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { x402Client } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { Hono } from 'hono'
import { describe, expect, test } from 'vitest'
import * as z from 'zod'
import { fakeFacilitator, type Log, payer, payTo } from '../test/fakeFacilitator.ts'
import { mcpPayments } from './mcpPayments.ts'
import { serveMcp } from './serveMcp.ts'

describe('paid MCP tools', () => {
  test('behavior: paid() wraps a handler for registerTool; static prices are quoted once per tool', async () => {
    const log: Log = []
    const payments = mcpPayments({ facilitator: fakeFacilitator({}, log) })
    const app = new Hono().post(
      '/mcp',
      serveMcp(() => {
        const server = new McpServer({ name: 't', version: '1' })
        server.registerTool(
          'echo',
          { inputSchema: { text: z.string() } },
          payments.paid(
            'echo',
            { accepts: { network: 'base', price: '$0.01', payTo }, resource: 'https://seller.test/mcp#echo' },
            async ({ text }: { text: string }) => ({ content: [{ type: 'text', text }] }),
          ),
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
    const unpaid = (await client.callTool({ name: 'echo', arguments: { text: 'hi' } })) as CallToolResult
    expect(unpaid.structuredContent).toMatchObject({
      resource: { url: 'https://seller.test/mcp#echo', description: '' },
      accepts: [{ network: 'eip155:8453', amount: '10000' }],
    })
    const payment = await new x402Client()
      .register('eip155:8453', new ExactEvmScheme(payer))
      .createPaymentPayload(unpaid.structuredContent as never)
    const paid = (await client.callTool({
      name: 'echo',
      arguments: { text: 'hi' },
      _meta: { 'x402/payment': payment },
    })) as CallToolResult
    expect(paid.content).toEqual([{ type: 'text', text: 'hi' }])
    expect(paid._meta?.['x402/payment-response']).toMatchObject({ success: true })
    expect(log.map((entry) => entry.endpoint)).toEqual(['verify', 'settle'])
  })

  test('behavior: a call the client cancels while the tool runs is not settled', async () => {
    const log: Log = []
    let open: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    const payments = mcpPayments({ facilitator: fakeFacilitator({}, log) })
    const server = new McpServer({ name: 't', version: '1' })
    let running = false
    payments.tool(
      server,
      'slow',
      { inputSchema: {} },
      { accepts: { network: 'eip155:8453', price: '1000', payTo } },
      async () => {
        running = true
        await gate
        return { content: [{ type: 'text', text: 'late' }] }
      },
    )
    const [serverSide, clientSide] = InMemoryTransport.createLinkedPair()
    await server.connect(serverSide)
    const client = new Client({ name: 'buyer', version: '1.0.0' })
    await client.connect(clientSide)
    const unpaid = (await client.callTool({ name: 'slow', arguments: {} })) as CallToolResult
    const payment = await new x402Client()
      .register('eip155:8453', new ExactEvmScheme(payer))
      .createPaymentPayload(unpaid.structuredContent as never)
    const abort = new AbortController()
    const call = client.callTool({ name: 'slow', arguments: {}, _meta: { 'x402/payment': payment } }, undefined, {
      signal: abort.signal,
    })
    while (!running) await new Promise((resolve) => setTimeout(resolve, 5))
    abort.abort()
    await expect(call).rejects.toThrow()
    open()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(log.map((entry) => entry.endpoint)).toEqual(['verify', 'release'])
    await client.close()
  })
})

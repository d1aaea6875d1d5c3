/**
 * Issue 21 item 4 for paid MCP tools: a tool call's arguments (and its payment, in `_meta`) come in the POST body, so
 * the body is read before anyone pays. `@tollgate/mcp` does not read it itself: `serveMcp` hands the request to the
 * MCP SDK's web-standard transport, which reads at most `maxRequestBodySize` (the SDK's 4 MiB by default) and answers
 * 413 past it. These tests hold that bound on Node (`@hono/node-server`, the demo's `/mcp`), so a change of SDK or of
 * `serveMcp` cannot bring back an unbounded read.
 */
import { httpFacilitator } from '@tollgate/hono'
import { mcpPayments, serveMcp } from '@tollgate/mcp'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDemoApp } from '../../apps/demo/src/app.ts'
import { defaultPayTo } from '../../apps/demo/src/config.ts'
import { demoMcpServer } from '../../apps/demo/src/mcp.ts'
import { listen, type Seller } from '../hono/listen.ts'
import { sampleRss, upload } from '../hono/upload.ts'

const MiB = 1024 * 1024
const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }
// Never reached: every request here is refused before any payment.
const facilitator = httpFacilitator({ url: 'http://127.0.0.1:9' })

let demo: Seller
let small: Seller

beforeAll(async () => {
  demo = await listen(createDemoApp({ payTo: defaultPayTo, facilitator }))
  const app = new Hono()
  const payments = mcpPayments({ facilitator })
  app.post(
    '/mcp',
    serveMcp(() => demoMcpServer(payments, defaultPayTo, 'eip155:8453'), { maxRequestBodySize: 1024 }),
  )
  small = await listen(app)
})

afterAll(async () => {
  await demo?.stop()
  await small?.stop()
})

const call = (args: Record<string, unknown>) =>
  JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_forecast', arguments: args } })

describe('MCP request bodies are bounded before payment', () => {
  test('default: a tools/call declaring 256 MiB is answered 413 from the header, at once', async () => {
    const res = await upload(`${demo.url}/mcp`, {
      headers: { ...mcpHeaders, 'content-length': String(256 * MiB) },
      bytes: 0,
      timeoutMs: 5_000,
    })
    expect(res.status).toBe(413)
    expect(res.body).toContain('Payload Too Large')
    expect(res.ms).toBeLessThan(1_000)
  })

  test('behavior: a chunked tools/call past 4 MiB is answered 413 after about the cap; memory stays flat', async () => {
    const rss = sampleRss()
    const before = process.memoryUsage().rss
    const res = await upload(`${demo.url}/mcp`, {
      headers: mcpHeaders,
      bytes: 256 * MiB,
      prefix: call({ city: '' }).slice(0, -4),
    })
    const peak = rss.stop()
    expect(res.status).toBe(413)
    expect(res.sent).toBeLessThan(24 * MiB)
    // The SDK keeps what it read as a string until it refuses (measured: about 12 MiB; 256 MiB were offered).
    expect((peak - before) / MiB).toBeLessThan(32)
  })

  test('behavior: serveMcp({ maxRequestBodySize }) lowers the bound; a call under it is answered', async () => {
    const over = await fetch(`${small.url}/mcp`, {
      method: 'POST',
      headers: mcpHeaders,
      body: call({ city: 'x'.repeat(2048) }),
    })
    expect(over.status).toBe(413)
    const under = await fetch(`${small.url}/mcp`, { method: 'POST', headers: mcpHeaders, body: call({ days: 2 }) })
    expect(under.status).toBe(200)
    // Unpaid: the PaymentRequired comes back as an isError tool result.
    expect((await under.json()).result).toMatchObject({ isError: true, structuredContent: { x402Version: 2 } })
  })
})

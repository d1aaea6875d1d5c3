/**
 * A hostile buyer and a hostile seller against the shared facilitator, end to end (issue 21, items
 * 1-3): a real anvil, the real facilitator over HTTP (auth on, SQLite ledger, catalogue and receipt
 * keys), the demo paid through `@tollgate/hono` and `@tollgate/mcp`, payments signed by the official
 * v2 client and then edited where the buyer controls the bytes (the payload's `resource` and
 * `extensions` are not signed).
 */
import { request as httpRequest } from 'node:http'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { createReceiptVerifier } from '@tollgate/hono'
import { decodeHeader, type PaymentRequiredV2, settleResponseSchema } from '@tollgate/protocol'
import { x402Client, x402HTTPClient } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import type { LocalAccount } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { parseDemoConfig } from '../../apps/demo/src/config.ts'
import { type RunningDemo, startDemo } from '../../apps/demo/src/server.ts'
import { type ReceiptStack, startReceiptStack } from '../receipts/harness.ts'

const expensive = 'https://api.expensive.example/premium-report'

/** A ReDoS for any backtracking engine: 29 `a`s and a `!` took the old facilitator about 14 s. */
const evilBazaar = {
  info: { input: { type: 'http', method: 'GET', queryParams: { city: `${'a'.repeat(29)}!` } } },
  schema: {
    type: 'object',
    properties: {
      input: {
        type: 'object',
        properties: {
          type: { type: 'string', const: 'http' },
          method: { type: 'string' },
          queryParams: { type: 'object', properties: { city: { type: 'string', pattern: '^(a+)+$' } } },
        },
      },
    },
  },
}

let stack: ReceiptStack
const clients: Client[] = []

beforeAll(async () => {
  stack = await startReceiptStack()
})

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()))
  await stack?.stop()
})

/** The official client's payload for the 402 of `url`, for the test to edit, and its encoder. */
async function officialPayload(payer: LocalAccount, url: string) {
  const client = new x402Client().register('eip155:8453', new ExactEvmScheme(payer))
  const http = new x402HTTPClient(client)
  const unpaid = await fetch(url)
  expect(unpaid.status).toBe(402)
  const payload = await client.createPaymentPayload(http.getPaymentRequiredResponse((name) => unpaid.headers.get(name)))
  const encode = () => http.encodePaymentSignatureHeader(payload) as Record<string, string>
  return { payload: payload as typeof payload & Record<string, unknown>, encode }
}

const settleOf = (res: Response) =>
  settleResponseSchema.parse(decodeHeader(settleResponseSchema, res.headers.get('payment-response') ?? ''))

const listed = async () => {
  const res = await fetch(`${stack.facilitator.url}/discovery/resources?limit=100`)
  return ((await res.json()) as { items: { resource: string; description?: string; accepts: { payTo: string }[] }[] })
    .items
}

describe('a buyer cannot freeze the facilitator or write the catalogue', () => {
  test('security: a catastrophic pattern in the payment header stalls nothing (item 1)', async () => {
    const url = `${stack.demo.url}/weather?city=Oslo`
    const { payload, encode } = await officialPayload(stack.chain.accounts.payers[0], url)
    payload.extensions = { ...(payload.extensions ?? {}), bazaar: evilBazaar }

    // Every other seller's calls go on while this payment settles: /health is probed throughout.
    let probing = true
    let slowest = 0
    const probes = (async () => {
      while (probing) {
        const started = performance.now()
        await fetch(`${stack.facilitator.url}/health`)
        slowest = Math.max(slowest, performance.now() - started)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })()
    const started = performance.now()
    const paid = await fetch(url, { headers: encode(), signal: AbortSignal.timeout(10_000) }).finally(() => {
      probing = false
    })
    await probes
    expect(paid.status).toBe(200)
    expect(performance.now() - started).toBeLessThan(5_000)
    expect(slowest).toBeLessThan(1_000)
  })

  test("security: the buyer's resource, description and bazaar never reach the catalogue (item 2)", async () => {
    const url = `${stack.demo.url}/weather?city=Lisbon`
    const { payload, encode } = await officialPayload(stack.chain.accounts.payers[1], url)
    payload.resource = { url: 'https://evil.example/pay-here', description: 'Pay evil.example instead' }
    payload.extensions = {
      bazaar: { ...evilBazaar, info: { input: { type: 'http', method: 'GET' } }, routeTemplate: '/pay-here' },
    }
    expect((await fetch(url, { headers: encode() })).status).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 200)) // the catalogue is written after the answer
    const items = await listed()
    expect(items.map((item) => item.resource)).toContain(`${stack.demo.url}/weather`)
    for (const item of items) {
      expect(item.resource.startsWith(stack.demo.url)).toBe(true)
      expect(item.description ?? '').not.toMatch(/evil/)
    }
    expect(items.find((item) => item.resource === `${stack.demo.url}/weather`)?.description).toBe(
      'Current weather for a city',
    )
  })

  test("security: a seller with its own key cannot list its payTo under another seller's origin (item 2)", async () => {
    // The honest seller is listed (the tests above paid it).
    expect((await listed()).some((item) => item.resource === `${stack.demo.url}/weather`)).toBe(true)
    // The attacker runs the same API claiming the victim's origin, with its own key and payTo.
    const attackerPayTo = stack.chain.accounts.payers[7].address
    let attacker: RunningDemo | undefined
    try {
      attacker = await startDemo(
        parseDemoConfig({
          TOLLGATE_DEMO_PORT: '0',
          TOLLGATE_DEMO_PUBLIC_URL: stack.demo.url,
          TOLLGATE_FACILITATOR_URL: stack.facilitator.url,
          TOLLGATE_FACILITATOR_API_KEY: stack.otherKey,
          TOLLGATE_PAY_TO: attackerPayTo,
        }),
      )
      const url = `${attacker.url}/forecast?city=Oslo&days=1`
      const { encode } = await officialPayload(stack.chain.accounts.payers[2], url)
      expect((await fetch(url, { headers: encode() })).status).toBe(200)
      await new Promise((resolve) => setTimeout(resolve, 200))
      const items = await listed()
      expect(items.filter((item) => item.accepts[0]?.payTo.toLowerCase() === attackerPayTo.toLowerCase())).toEqual([])
      expect(items.find((item) => item.resource === `${stack.demo.url}/weather`)?.accepts[0]?.payTo).toBe(
        stack.chain.accounts.seller.address,
      )
    } finally {
      await attacker?.stop()
    }
  })
})

describe('a receipt names only what the seller served (item 3)', () => {
  const verifier = () => createReceiptVerifier({ jwks: `${stack.facilitator.url}/.well-known/jwks.json` })

  test("security: a tool call's receipt names the tool, never the buyer's resource", async () => {
    const client = new Client({ name: 'hostile-buyer', version: '1.0.0' })
    await client.connect(new StreamableHTTPClientTransport(new URL(`${stack.demo.url}/mcp`)))
    clients.push(client)
    const args = { city: 'Oslo', days: 1 }
    const unpaid = (await client.callTool({ name: 'get_forecast', arguments: args })) as CallToolResult
    const payment = await new x402Client()
      .register('eip155:8453', new ExactEvmScheme(stack.chain.accounts.payers[3]))
      .createPaymentPayload(unpaid.structuredContent as PaymentRequiredV2 as never)
    const forged = { ...payment, resource: { url: expensive, description: 'Premium report' } }
    const paid = (await client.callTool({
      name: 'get_forecast',
      arguments: args,
      _meta: { 'x402/payment': forged },
    })) as CallToolResult
    expect(paid.isError).toBeFalsy()
    const settle = settleResponseSchema.parse(paid._meta?.['x402/payment-response'])
    const verify = verifier()
    expect(await verify(settle, { resourceUrl: expensive })).toMatchObject({ code: 'receipt_resource_mismatch' })
    const checked = await verify(settle, {
      resourceUrl: 'mcp://tool/get_forecast',
      payTo: stack.chain.accounts.seller.address,
      amount: 1000n,
      network: 'eip155:8453',
    })
    expect(checked).toMatchObject({ ok: true, claims: { resourceUrl: 'mcp://tool/get_forecast', amount: '1000' } })
  })

  test("security: a route's receipt names the seller's origin, whatever Host the buyer sends", async () => {
    const url = `${stack.demo.url}/weather?city=Paris`
    const { encode } = await officialPayload(stack.chain.accounts.payers[4], url)
    // fetch will not send another Host; node:http will.
    const paid = await new Promise<{ status: number; header: string }>((resolve, reject) => {
      const target = new URL(url)
      const req = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: `${target.pathname}${target.search}`,
          headers: { ...encode(), host: 'api.expensive.example' },
        },
        (res) => {
          res.resume()
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, header: String(res.headers['payment-response'] ?? '') }),
          )
        },
      )
      req.on('error', reject)
      req.end()
    })
    expect(paid.status).toBe(200)
    const settle = settleOf(new Response(null, { headers: { 'payment-response': paid.header } }))
    const verify = verifier()
    expect(await verify(settle, { resourceUrl: 'http://api.expensive.example/weather?city=Paris' })).toMatchObject({
      code: 'receipt_resource_mismatch',
    })
    expect(await verify(settle, { resourceUrl: url })).toMatchObject({ ok: true })
  })
})

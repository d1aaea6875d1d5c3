/**
 * End to end, a buyer front-running its own nonce (issue 8 item 1): a real anvil, Tollgate's
 * facilitator over HTTP, the demo API on Node, and the official v2 client's payment header. Between
 * the middleware's /verify and its /settle the payer lands its own authorization under the same nonce
 * (1 unit to itself), straight on the token; the timing comes from a loopback relay in front of the
 * facilitator that lands it as soon as /verify has answered valid. The content must not be served.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { toExactAuthorization, transferWithAuthorizationData } from '@tollgate/evm'
import { x402Client, x402HTTPClient } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { Hono } from 'hono'
import type { Address, Hex, LocalAccount } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { parseDemoConfig } from '../../apps/demo/src/config.ts'
import { type RunningDemo, startDemo } from '../../apps/demo/src/server.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { startTestFacilitator, type TestFacilitator } from './facilitators.ts'

let chain: LocalChain
let facilitator: TestFacilitator
let relay: { url: string; stop(): Promise<void> }
let demo: RunningDemo
/** The payer whose nonce the relay burns right after /verify answers valid (none: just relay). */
let frontRunner: LocalAccount | undefined
const frontRuns: Hex[] = []

/** The payer lands its own authorization under `nonce`: 1 unit to itself. */
async function spendNonce(payer: LocalAccount, nonce: Hex): Promise<Hex> {
  const b = await chain.signTransferAuthorization({
    payer,
    to: payer.address,
    value: 1n,
    validAfter: 0n,
    validBefore: BigInt(Math.floor(Date.now() / 1000)) + 300n,
    nonce,
  })
  const hash = await chain.walletClient(payer).sendTransaction({
    to: chain.usdc,
    data: transferWithAuthorizationData(toExactAuthorization(b.authorization), b.signature as Hex),
    gas: 150_000n,
  })
  expect((await chain.publicClient.waitForTransactionReceipt({ hash })).status).toBe('success')
  return hash
}

/** A loopback relay to the facilitator that front-runs `frontRunner`'s verified payments. */
async function startRelay(target: string) {
  const app = new Hono()
  app.all('*', async (c) => {
    const { pathname, search } = new URL(c.req.url)
    const body = c.req.method === 'GET' || c.req.method === 'HEAD' ? undefined : await c.req.text()
    const headers = new Headers(c.req.raw.headers)
    headers.delete('host')
    headers.delete('content-length')
    const answer = await fetch(`${target}${pathname}${search}`, {
      method: c.req.method,
      headers,
      ...(body === undefined ? {} : { body }),
    })
    const text = await answer.text()
    if (pathname.endsWith('/verify') && frontRunner && body) {
      const verdict = JSON.parse(text) as { isValid?: boolean }
      const { authorization } = (
        JSON.parse(body) as { paymentPayload: { payload: { authorization: { from: Address; nonce: Hex } } } }
      ).paymentPayload.payload
      if (verdict.isValid && authorization.from.toLowerCase() === frontRunner.address.toLowerCase()) {
        frontRuns.push(await spendNonce(frontRunner, authorization.nonce))
      }
    }
    return new Response(text, {
      status: answer.status,
      headers: { 'content-type': answer.headers.get('content-type') ?? 'application/json' },
    })
  })
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
    s.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        if ('closeAllConnections' in server) server.closeAllConnections()
      }),
  }
}

beforeAll(async () => {
  chain = await startLocalChain()
  facilitator = await startTestFacilitator(chain, 'tollgate')
  relay = await startRelay(facilitator.url)
  demo = await startDemo(
    parseDemoConfig({
      TOLLGATE_DEMO_PORT: '0',
      TOLLGATE_FACILITATOR_URL: relay.url,
      ...(facilitator.apiKey ? { TOLLGATE_FACILITATOR_API_KEY: facilitator.apiKey } : {}),
      TOLLGATE_PAY_TO: chain.accounts.seller.address,
    }),
  )
})

afterAll(async () => {
  try {
    await demo?.stop()
  } finally {
    try {
      await relay?.stop()
    } finally {
      try {
        await facilitator?.stop()
      } finally {
        await chain?.stop()
      }
    }
  }
})

/** The official v2 client's payment header for `url`, built from the demo's own 402. */
async function paymentHeaders(payer: LocalAccount, url: string) {
  const client = new x402Client().register('eip155:8453', new ExactEvmScheme(payer))
  const http = new x402HTTPClient(client)
  const unpaid = await fetch(url)
  expect(unpaid.status).toBe(402)
  const payload = await client.createPaymentPayload(http.getPaymentRequiredResponse((name) => unpaid.headers.get(name)))
  return http.encodePaymentSignatureHeader(payload)
}

const balances = async (payer: LocalAccount) => {
  const [seller, buyer] = await Promise.all([
    chain.balanceOf(chain.accounts.seller.address),
    chain.balanceOf(payer.address),
  ])
  return { seller, buyer }
}

describe('e2e: the buyer front-runs its own nonce between /verify and /settle', () => {
  // A settle-before route (/history) settles without a /verify first: no reservation to front-run
  // there; its only window is while our settlement is in flight (test/facilitator/frontrun.test.ts).
  test('behavior: the paid route answers 402 and serves nothing; the seller gets nothing', async () => {
    const path = '/weather?city=Oslo'
    const payer = chain.accounts.payers[0]
    const url = `${demo.url}${path}`
    const headers = await paymentHeaders(payer, url)
    const before = await balances(payer)
    const spent = frontRuns.length
    frontRunner = payer
    let res: Response
    try {
      res = await fetch(url, { headers })
    } finally {
      frontRunner = undefined
    }
    expect(frontRuns.length).toBe(spent + 1) // the payer's B landed between /verify and /settle
    expect(res.status).toBe(402)
    const body = (await res.json()) as Record<string, unknown>
    expect(body.error).toBe('invalid_exact_evm_nonce_already_used')
    expect(body).not.toHaveProperty('city')
    expect(await balances(payer)).toEqual(before) // B moved 1 unit from the payer to itself
  })

  test('behavior: the same client, not front-run, is served and the seller gains the price', async () => {
    const payer = chain.accounts.payers[1]
    const url = `${demo.url}/weather?city=Oslo`
    const headers = await paymentHeaders(payer, url)
    const before = await balances(payer)
    const res = await fetch(url, { headers })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ city: 'Oslo', paidBy: payer.address })
    expect((await balances(payer)).seller - before.seller).toBe(1000n)
  })
})

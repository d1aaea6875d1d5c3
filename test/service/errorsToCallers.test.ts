/**
 * Errors to callers are a code and a fixed message: an RPC URL carrying a provider secret, and the
 * provider's own error text, never reach a response body (they are logged server-side only).
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RunningFacilitator, startFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { devPrivateKeys } from '../chain/accounts.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'

const secret = 'secret-key-123'
type Mode = 'forward' | 'fail-all' | 'rpc-error-all' | 'rpc-error-send'
let mode: Mode = 'forward'
let chain: LocalChain
let proxy: Server
let running: RunningFacilitator
const logged: unknown[] = []
const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-errors-'))

/** A provider in front of anvil that fails as told, echoing its URL and key in the failure (as some do). */
function startProxy(upstream: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    if (mode === 'fail-all') {
      res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(`upstream error at http://127.0.0.1${req.url} (api key ${secret}): internal`)
      return
    }
    if (
      mode === 'rpc-error-all' ||
      (mode === 'rpc-error-send' && /eth_sendRawTransaction|eth_estimateGas/.test(body))
    ) {
      const calls = JSON.parse(body) as { id: number }[] | { id: number }
      const error = (id: number) => ({
        jsonrpc: '2.0',
        id,
        error: { code: -32000, message: `upstream error at http://127.0.0.1${req.url} (api key ${secret}): internal` },
      })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(Array.isArray(calls) ? calls.map((call) => error(call.id)) : error(calls.id)))
      return
    }
    const answer = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    res.writeHead(answer.status, { 'content-type': 'application/json' })
    res.end(await answer.text())
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

beforeAll(async () => {
  chain = await startLocalChain()
  proxy = await startProxy(chain.url)
  const rpc = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/${secret}`
  running = await startFacilitator(
    {
      TOLLGATE_PORT: '0',
      TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
      TOLLGATE_RPC_URL_8453: rpc,
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_POLLING_INTERVAL_MS: '20',
      TOLLGATE_RECEIPT_TIMEOUT_MS: '2000',
      TOLLGATE_AUTH: 'off',
    },
    { logError: (error) => logged.push(error) },
  )
})
afterAll(async () => {
  await running?.stop()
  await new Promise((resolve) => proxy?.close(resolve))
  await chain?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

async function paymentBody(value: bigint) {
  const payer = chain.accounts.payers[0]
  const payload = await chain.signTransferAuthorization({
    payer,
    to: chain.accounts.seller.address,
    value,
    validAfter: 0n,
    validBefore: BigInt(Math.floor(Date.now() / 1000) + 120),
  })
  const requirements = {
    scheme: 'exact',
    network: 'eip155:8453',
    amount: value.toString(),
    asset: chain.usdc,
    payTo: chain.accounts.seller.address,
    maxTimeoutSeconds: 120,
    extra: { name: 'USD Coin', version: '2' },
  }
  return JSON.stringify({
    x402Version: 2,
    paymentPayload: { x402Version: 2, accepted: requirements, payload },
    paymentRequirements: requirements,
  })
}

const post = async (path: string, body: string) => {
  const response = await fetch(`${running.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  })
  return { status: response.status, text: await response.text() }
}

const leaks = (text: string) =>
  [secret, '/secret', 'upstream error', 'internal', 'Status:', 'URL:', 'at '].filter((s) => text.includes(s))

describe('errors to callers', () => {
  test('behavior: an unreachable RPC in /verify and /settle answers a code and a fixed message', async () => {
    mode = 'fail-all'
    const body = await paymentBody(10_000n)
    const verified = await post('/verify', body)
    expect(JSON.parse(verified.text)).toMatchObject({
      isValid: false,
      invalidReason: 'unexpected_verify_error',
      invalidMessage: 'The facilitator could not verify this payment now; retry the same payment.',
    })
    expect(leaks(verified.text)).toEqual([])
    const settled = await post('/settle', body)
    expect(JSON.parse(settled.text)).toMatchObject({
      success: false,
      errorReason: 'unexpected_settle_error',
      errorMessage: 'The facilitator could not settle this payment now; retry the same payment.',
    })
    expect(leaks(settled.text)).toEqual([])
    expect(logged.length).toBeGreaterThan(0)
  })

  test('behavior: a provider answering errors in /verify and /settle: a code and a fixed message', async () => {
    mode = 'rpc-error-all'
    const body = await paymentBody(15_000n)
    const verified = await post('/verify', body)
    expect(leaks(verified.text)).toEqual([])
    const settled = await post('/settle', body)
    expect(leaks(settled.text)).toEqual([])
  })

  test('behavior: a provider failing the broadcast answers a code and a fixed message', async () => {
    mode = 'rpc-error-send'
    const settled = await post('/settle', await paymentBody(20_000n))
    expect(JSON.parse(settled.text)).toMatchObject({
      success: false,
      errorReason: 'unexpected_settle_error',
      errorMessage: 'The facilitator could not settle this payment now; retry the same payment.',
    })
    expect(leaks(settled.text)).toEqual([])
    // The detail is logged server-side, with the RPC URL redacted.
    const lines = logged.map((error) => (error instanceof Error ? error.message : String(error)))
    expect(lines.some((line) => line.includes('upstream error'))).toBe(true)
    expect(lines.filter((line) => /https?:\/\//.test(line))).toEqual([])
  })
})

/**
 * The body cap where new users meet it: the `npm start` stack (scripts/stack.ts: anvil, Tollgate's facilitator, the
 * demo on Node) on free ports. The demo's `POST /compare` takes a JSON body: the official v2 client (`@x402/fetch`)
 * and the legacy v1 client (`x402-fetch`) pay for it, the handler reads the body, and the seller gains exactly the
 * price on chain; a body past the demo's 1 MiB cap is answered 413 and charges nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeHeader, settleResponseSchema } from '@tollgate/protocol'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { wrapFetchWithPayment as wrapFetchV1 } from 'x402-fetch'
import { payDemo, type Stack, startStack } from '../../scripts/stack.ts'
import { upload } from './upload.ts'

const MiB = 1024 * 1024
const json = { 'content-type': 'application/json' }

let stack: Stack
let dataDir: string

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tollgate-body-'))
  stack = await startStack({ chainPort: 0, facilitatorPort: 0, demoPort: 0, dataDir })
})

afterAll(async () => {
  try {
    await stack?.stop()
  } finally {
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  }
})

describe('POST /compare on the local stack', () => {
  test('default: the official v2 client pays for a JSON body; the handler reads it; the seller gains the price', async () => {
    const lines: string[] = []
    const payment = await payDemo(stack, {
      payer: stack.chain.accounts.payers[4],
      path: '/compare',
      init: { method: 'POST', headers: json, body: '{"cities":["Lisbon","Oslo"]}' },
      log: (line) => lines.push(line),
    })
    expect(payment.status).toBe(200)
    expect(payment.price).toBe(2000n)
    expect(payment.after.seller - payment.before.seller).toBe(2000n)
    expect(payment.before.payer - payment.after.payer).toBe(2000n)
    expect(payment.body).toMatchObject({
      cities: [{ city: 'Lisbon' }, { city: 'Oslo' }],
      paidBy: stack.chain.accounts.payers[4]?.address,
    })
    const receipt = await stack.chain.publicClient.getTransactionReceipt({
      hash: payment.transaction as `0x${string}`,
    })
    expect(receipt.status).toBe('success')
    expect(lines[0]).toContain('POST ')
  })

  test('behavior: the legacy v1 client (x402-fetch) pays for the same body', async () => {
    const payer = stack.chain.accounts.payers[5]
    if (!payer) throw new Error('payer #5 missing')
    const seller = stack.chain.accounts.seller.address
    const before = await stack.chain.balanceOf(seller)
    const res = await wrapFetchV1(fetch, payer)(`${stack.demo.url}/compare`, {
      method: 'POST',
      headers: json,
      body: '{"cities":["Tokyo"]}',
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ cities: [{ city: 'Tokyo' }], warmest: 'Tokyo' })
    expect(decodeHeader(settleResponseSchema, res.headers.get('x-payment-response')).success).toBe(true)
    expect((await stack.chain.balanceOf(seller)) - before).toBe(2000n)
  })

  test('behavior: a body past 1 MiB is answered 413, declared or streamed, and charges nothing', async () => {
    const seller = stack.chain.accounts.seller.address
    const before = await stack.chain.balanceOf(seller)
    const declared = await upload(`${stack.demo.url}/compare`, {
      headers: { ...json, 'content-length': String(256 * MiB) },
      bytes: 0,
      timeoutMs: 5_000,
    })
    expect(declared.status).toBe(413)
    expect(JSON.parse(declared.body).error).toBe('payload_too_large')
    const streamed = await upload(`${stack.demo.url}/compare`, {
      headers: json,
      bytes: 256 * MiB,
      prefix: '{"cities":["',
    })
    expect(streamed.status).toBe(413)
    expect(streamed.sent).toBeLessThan(16 * MiB)
    expect(await stack.chain.balanceOf(seller)).toBe(before)
  })
})

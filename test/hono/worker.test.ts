/**
 * The demo's Worker entry inside workerd (Miniflare 4, bundled with esbuild as wrangler would), paid
 * by the official clients against a real facilitator and anvil on loopback. No `nodejs_compat`.
 *
 * @see reference/workers.md §1 (esbuild and Miniflare options that work on Node 20)
 */
import { join } from 'node:path'
import { decodeHeader, paymentRequiredV2Schema, settleResponseSchema } from '@tollgate/protocol'
import { x402Client } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { wrapFetchWithPayment } from '@x402/fetch'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { wrapFetchWithPayment as wrapFetchV1 } from 'x402-fetch'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { startTestFacilitator, type TestFacilitator } from './facilitators.ts'
import { type RunningWorker, startWorker } from './worker.ts'

const root = join(import.meta.dirname, '..', '..')

let chain: LocalChain
let facilitator: TestFacilitator
let worker: RunningWorker
let url: string

beforeAll(async () => {
  chain = await startLocalChain()
  facilitator = await startTestFacilitator(chain)
  worker = await startWorker(join(root, 'apps/demo/src/worker.ts'), {
    TOLLGATE_FACILITATOR_URL: facilitator.url,
    // A secret of the Worker, read from c.env per request by httpFacilitator's apiKey function.
    TOLLGATE_FACILITATOR_API_KEY: facilitator.apiKey ?? '',
    TOLLGATE_PAY_TO: chain.accounts.seller.address,
    TOLLGATE_NETWORK: 'eip155:8453',
  })
  url = worker.url
})

afterAll(async () => {
  try {
    await worker?.stop()
  } finally {
    await facilitator?.stop()
    await chain?.stop()
  }
})

describe('demo Worker in Miniflare', () => {
  test('default: unpaid requests get the 402 quote', async () => {
    const res = await fetch(`${url}/weather?city=Oslo`)
    expect(res.status).toBe(402)
    expect(res.headers.get('access-control-expose-headers')).toContain('PAYMENT-REQUIRED')
    const quote = decodeHeader(paymentRequiredV2Schema, res.headers.get('payment-required'))
    expect(quote.accepts[0]).toMatchObject({ amount: '1000', payTo: chain.accounts.seller.address })
    expect((await res.json()).accepts[0].network).toBe('base')
  })

  test('behavior: the official v2 client pays the Worker; the seller gains the price', async () => {
    const payer = chain.accounts.payers[0]
    const before = await chain.balanceOf(chain.accounts.seller.address)
    const pay = wrapFetchWithPayment(fetch, new x402Client().register('eip155:8453', new ExactEvmScheme(payer)))
    const res = await pay(`${url}/weather?city=Oslo`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ city: 'Oslo', paidBy: payer.address })
    const receipt = decodeHeader(settleResponseSchema, res.headers.get('payment-response'))
    expect(receipt.success).toBe(true)
    expect(
      (await chain.publicClient.getTransactionReceipt({ hash: receipt.transaction as `0x${string}` })).status,
    ).toBe('success')
    expect((await chain.balanceOf(chain.accounts.seller.address)) - before).toBe(1000n)
  })

  test('behavior: the legacy v1 client pays the Worker', async () => {
    const payer = chain.accounts.payers[1]
    const before = await chain.balanceOf(chain.accounts.seller.address)
    const res = await wrapFetchV1(fetch, payer)(`${url}/forecast?city=Lima&days=2`)
    expect(res.status).toBe(200)
    expect(decodeHeader(settleResponseSchema, res.headers.get('x-payment-response')).success).toBe(true)
    expect((await chain.balanceOf(chain.accounts.seller.address)) - before).toBe(2000n)
  })
})

/**
 * The facilitator on Workers (Miniflare 4, Durable Objects on SQLite) against anvil: paid through the demo Worker by
 * the official v2 client, the same authorization sent 50 times at once, and screening on by default (the local
 * chain's sanctions oracle at the Chainalysis address lists the last payer).
 */
import { join } from 'node:path'
import { decodeHeader, settleResponseSchema } from '@tollgate/protocol'
import { x402Client } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { wrapFetchWithPayment } from '@x402/fetch'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { devAccounts } from '../chain/accounts.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { type RunningWorker, startWorker } from '../hono/worker.ts'
import { makePayments, paymentValue } from '../recovery/payments.ts'
import {
  type FacilitatorWorkerSecrets,
  facilitatorWorkerBindings,
  startFacilitatorWorker,
} from './facilitatorWorker.ts'

let chain: LocalChain
let facilitator: RunningWorker
let demo: RunningWorker
let bindings: FacilitatorWorkerSecrets

/** The payer `makePayments` signs its eighth payment with: listed by the sanctions oracle here. */
const chain8thPayer = () => devAccounts.payers[7]?.address as `0x${string}`

beforeAll(async () => {
  chain = await startLocalChain({ sanctioned: [chain8thPayer()] })
  bindings = await facilitatorWorkerBindings(chain)
  facilitator = await startFacilitatorWorker(bindings)
  demo = await startWorker(join(import.meta.dirname, '..', '..', 'apps/demo/src/worker.ts'), {
    TOLLGATE_FACILITATOR_URL: facilitator.url,
    TOLLGATE_FACILITATOR_API_KEY: bindings.TOLLGATE_API_KEYS,
    TOLLGATE_PAY_TO: chain.accounts.seller.address,
    TOLLGATE_NETWORK: chain.network,
  })
})

afterAll(async () => {
  try {
    await demo?.stop()
    await facilitator?.stop()
  } finally {
    await chain?.stop()
  }
})

/** One signed authorization of `paymentValue` to the seller, as a v2 `/settle` body. */
const settleBody = async () => JSON.stringify((await makePayments(chain, 1))[0]?.body)

const post = (path: string, body: string, authorization = `Bearer ${bindings.TOLLGATE_API_KEYS}`) =>
  fetch(`${facilitator.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body,
  })

describe('facilitator Worker in Miniflare', () => {
  test('default: /health, /supported and the receipt JWKS answer; /verify needs the API key', async () => {
    expect((await fetch(`${facilitator.url}/health`)).status).toBe(200)
    const supported = await (await fetch(`${facilitator.url}/supported`)).json()
    expect(supported.kinds.some((kind: { network: string }) => kind.network === chain.network)).toBe(true)
    const jwks = await (await fetch(`${facilitator.url}/.well-known/jwks.json`)).json()
    expect(jwks.keys).toHaveLength(1)
    expect(jwks.keys[0].d).toBeUndefined()
    const denied = await post('/verify', await settleBody(), 'Bearer tg_0000000000000000_nope')
    expect(denied.status).toBe(401)
  })

  test('behavior: the official v2 client pays the demo Worker, which settles through the facilitator Worker, once', async () => {
    const payer = chain.accounts.payers[0]
    const before = await chain.balanceOf(chain.accounts.seller.address)
    const pay = wrapFetchWithPayment(fetch, new x402Client().register(chain.network, new ExactEvmScheme(payer)))
    const res = await pay(`${demo.url}/weather?city=Oslo`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ city: 'Oslo', paidBy: payer.address })
    const receipt = decodeHeader(settleResponseSchema, res.headers.get('payment-response'))
    expect(receipt.success).toBe(true)
    const mined = await chain.publicClient.getTransactionReceipt({ hash: receipt.transaction as `0x${string}` })
    expect(mined.status).toBe('success')
    expect((await chain.balanceOf(chain.accounts.seller.address)) - before).toBe(1000n)
  })

  test('behavior: the same authorization sent 50 times at once to /settle: one transfer, every answer naming it', async () => {
    const before = await chain.balanceOf(chain.accounts.seller.address)
    const body = await settleBody()
    const answers = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const res = await post('/settle', body)
        return { status: res.status, json: await res.json() }
      }),
    )
    const transactions = new Set(answers.map((answer) => answer.json.transaction))
    expect(answers.every((answer) => answer.status === 200 && answer.json.success === true)).toBe(true)
    expect(transactions.size).toBe(1)
    const [hash] = [...transactions] as `0x${string}`[]
    expect((await chain.publicClient.getTransactionReceipt({ hash: hash as `0x${string}` })).status).toBe('success')
    expect((await chain.balanceOf(chain.accounts.seller.address)) - before).toBe(paymentValue)
  })
})

describe('facilitator Worker misconfigured', () => {
  test('edge: a missing secret answers 503 with Retry-After, never a secret value', async () => {
    const { TOLLGATE_SIGNER_KEY: _key, ...rest } = bindings
    const broken = await startFacilitatorWorker({ ...rest, TOLLGATE_RPC_URL: 'http://127.0.0.1:1/secret-path' })
    try {
      const res = await fetch(`${broken.url}/supported`)
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).not.toBeNull()
      const text = await res.text()
      expect(text).toContain('facilitator_unavailable')
      expect(text).not.toContain('secret-path')
    } finally {
      await broken.stop()
    }
  })

  test('security: screening is on by default: a payer the sanctions oracle lists is refused, and nothing is sent', async () => {
    const listed = (await makePayments(chain, 8))[7]
    expect(listed?.payer).toBe(chain8thPayer())
    const sent = () =>
      chain.publicClient.getTransactionCount({ address: chain.accounts.facilitator.address, blockTag: 'pending' })
    const before = await sent()
    const body = JSON.stringify(listed?.body)
    expect(await (await post('/verify', body)).json()).toMatchObject({
      isValid: false,
      invalidReason: 'compliance_blocked_payer',
    })
    expect(await (await post('/settle', body)).json()).toMatchObject({
      success: false,
      errorReason: 'compliance_blocked_payer',
    })
    expect(await sent()).toBe(before)
  })
})

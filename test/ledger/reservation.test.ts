/**
 * The `/verify` reservation lease and `/release`, on a real anvil through the HTTP facilitator:
 * concurrent verifies of one payment → exactly one `isValid: true`; the lease ends after
 * `reservationSeconds` (never beyond `validBefore`); `/release` gives it back; the Hono middleware
 * releases when its handler fails, so the same payment can be used again at once (only with a
 * facilitator that lists `tollgate-release`; the official one is unaffected).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { httpFacilitator, paymentRequired } from '@tollgate/hono'
import type { ExactEvmPayload } from '@tollgate/protocol'
import { x402Client } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { wrapFetchWithPayment } from '@x402/fetch'
import { Hono } from 'hono'
import type { LocalAccount } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RunningFacilitator, startFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { devPrivateKeys } from '../chain/accounts.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { startOfficialFacilitator } from '../hono/officialFacilitator.ts'
import { settleBody } from './settleBody.ts'

let chain: LocalChain
let running: RunningFacilitator
let dataDir: string
let skew = 0n
const now = () => BigInt(Math.floor(Date.now() / 1000)) + skew

beforeAll(async () => {
  chain = await startLocalChain()
  dataDir = await mkdtemp(join(tmpdir(), 'tollgate-ledger-'))
  running = await startFacilitator(
    {
      TOLLGATE_PORT: '0',
      // Auth is not what this suite tests: explicitly off (see test/service/auth.test.ts).
      TOLLGATE_AUTH: 'off',
      TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
      TOLLGATE_NETWORKS: chain.network,
      [`TOLLGATE_RPC_URL_${chain.chainId}`]: chain.url,
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_POLLING_INTERVAL_MS: '50',
      TOLLGATE_RECEIPT_TIMEOUT_MS: '20000',
    },
    { now, logError: () => {} },
  )
})

afterAll(async () => {
  try {
    await running?.stop()
  } finally {
    await chain?.stop()
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  }
})

const body = (payload: ExactEvmPayload, claim?: string) => settleBody(chain, payload, claim)
const sign = (payer: LocalAccount, validBefore = now() + 300n) =>
  chain.signTransferAuthorization({
    payer,
    to: chain.accounts.seller.address,
    value: 10_000n,
    validAfter: 0n,
    validBefore,
  })
async function post(path: string, payload: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${running.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  })
  expect(response.status).toBe(200)
  return (await response.json()) as Record<string, unknown>
}

describe('reservation lease', () => {
  test('behavior: of 20 concurrent verifies of one payment exactly one is valid; settle still takes it', async () => {
    const payload = await sign(chain.accounts.payers[0])
    const answers = await Promise.all(Array.from({ length: 20 }, () => post('/verify', body(payload))))
    expect(answers.filter((a) => a.isValid === true)).toHaveLength(1)
    expect(answers.filter((a) => a.invalidReason === 'authorization_in_use')).toHaveLength(19)
    const before = await chain.balanceOf(chain.accounts.seller.address)
    expect(await post('/settle', body(payload))).toMatchObject({ success: true })
    expect((await chain.balanceOf(chain.accounts.seller.address)) - before).toBe(10_000n)
    expect(await post('/verify', body(payload))).toMatchObject({
      isValid: false,
      invalidReason: 'invalid_exact_evm_nonce_already_used',
    })
  })

  test('behavior: the lease ends after reservationSeconds (120 s), then the payment verifies again', async () => {
    const payload = await sign(chain.accounts.payers[1])
    expect(await post('/verify', body(payload))).toMatchObject({ isValid: true })
    expect(await post('/verify', body(payload))).toMatchObject({ invalidReason: 'authorization_in_use' })
    skew += 121n
    try {
      expect(await post('/verify', body(payload))).toMatchObject({ isValid: true })
      expect(await post('/verify', body(payload))).toMatchObject({ invalidReason: 'authorization_in_use' })
    } finally {
      skew -= 121n
    }
  })

  test('behavior: the lease never outlives validBefore', async () => {
    const validBefore = now() + 60n
    const payload = await sign(chain.accounts.payers[2], validBefore)
    expect(await post('/verify', body(payload))).toMatchObject({ isValid: true })
    const held = await running.facilitator.store.list({ states: ['reserved'], limit: 1000 })
    const entry = held.find((e) => e.nonce === payload.authorization.nonce)
    expect(entry?.reservedUntil).toBe(validBefore)
  })

  test('behavior: /release gives the holder reservation back once; the payment then verifies and settles', async () => {
    const payload = await sign(chain.accounts.payers[3])
    const claim = 'reservation-holder-0001'
    expect(await post('/verify', body(payload, claim))).toMatchObject({ isValid: true })
    // A copy of the payment without the holder's claim releases nothing.
    expect(await post('/release', body(payload))).toEqual({ released: false })
    expect(await post('/release', body(payload, claim))).toEqual({ released: true })
    expect(await post('/release', body(payload, claim))).toEqual({ released: false })
    expect(await post('/verify', body(payload))).toMatchObject({ isValid: true })
    expect(await post('/settle', body(payload))).toMatchObject({ success: true })
    expect(await post('/release', body(payload, claim))).toEqual({ released: false })
    const supported = await (await fetch(`${running.url}/supported`)).json()
    // The discovery catalogue is on by default: bazaar is listed.
    expect(supported.extensions).toEqual(['tollgate-release', 'tollgate-delivery', 'offer-receipt', 'bazaar'])
  })
})

/** A paid route whose handler fails the first time; returns the payment headers the client sent. */
async function failingOnce(facilitatorUrl: string, payer: LocalAccount) {
  let calls = 0
  const app = new Hono()
  app.use(
    paymentRequired({
      facilitator: httpFacilitator({ url: facilitatorUrl }),
      routes: {
        'GET /flaky': { accepts: { network: 'eip155:8453', price: '$0.01', payTo: chain.accounts.seller.address } },
      },
    }),
  )
  app.get('/flaky', (c) => {
    calls++
    return calls === 1 ? c.json({ error: 'try again' }, 503) : c.json({ ok: true })
  })
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/flaky`
  let paid: Headers | undefined
  const recording = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    if ([...request.headers.keys()].some((name) => name.includes('payment'))) paid = new Headers(request.headers)
    return fetch(request)
  }
  const pay = wrapFetchWithPayment(recording, new x402Client().register('eip155:8453', new ExactEvmScheme(payer)))
  const first = await pay(url)
  const second = paid ? await fetch(url, { headers: paid }) : undefined
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return { first, second, paid }
}

describe('the Hono middleware releases when its handler fails', () => {
  test('behavior: through Tollgate, the same payment is used again at once and charged once', async () => {
    const payer = chain.accounts.payers[4]
    const before = await chain.balanceOf(payer.address)
    const { first, second, paid } = await failingOnce(running.url, payer)
    expect(first.status).toBe(503)
    expect(paid).toBeDefined()
    expect(second?.status).toBe(200)
    expect(second?.headers.get('payment-response')).toBeTruthy()
    expect(before - (await chain.balanceOf(payer.address))).toBe(10_000n)
  })

  test('behavior: through the official facilitator (no tollgate-release), nothing is released or charged', async () => {
    const official = await startOfficialFacilitator(chain)
    try {
      const payer = chain.accounts.payers[5]
      const before = await chain.balanceOf(payer.address)
      const { first, second } = await failingOnce(official.url, payer)
      expect(first.status).toBe(503)
      // The official facilitator verifies statelessly: the same header may be served again and paid once.
      expect([200, 402]).toContain(second?.status)
      const paid = before - (await chain.balanceOf(payer.address))
      expect(paid === 0n || paid === 10_000n).toBe(true)
    } finally {
      await official.stop()
    }
  })
})

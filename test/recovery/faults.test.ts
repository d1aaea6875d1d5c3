/**
 * RPC faults between the facilitator and the chain (drops before and after forwarding, delays, 503s,
 * hangs past the client timeout, also on eth_sendRawTransaction): no payment lost or paid twice, no
 * false failure for a payment that landed, and pending ones resolve once the faults stop.
 */
import { createFacilitator, createMemoryStore, createReconciler, type Facilitator, settle } from '@tollgate/facilitator'
import { errorInfo, isErrorCode, type SettleResponse } from '@tollgate/protocol'
import { createPublicClient, http } from 'viem'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { createNativeRecover } from '../../apps/facilitator/src/engine/nativeRecover.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { type FaultProxy, startFaultProxy } from './faultProxy.ts'
import { chainView, makePayments, type Payment, paymentValue, pool } from './payments.ts'

const count = 100
const seed = Number(process.env.TOLLGATE_FAULT_SEED ?? Date.now() % 1_000_000)

let chain: LocalChain
let proxy: FaultProxy
let facilitator: Facilitator | undefined
let stopReconciler: (() => Promise<void>) | undefined
// A fresh chain per attempt: a retry must not count what the failed attempt left in flight.
beforeEach(async () => {
  chain = await startLocalChain()
  proxy = await startFaultProxy({ target: chain.url, seed, rate: 0, delayMs: 400, hangMs: 2_500 })
})
afterEach(async () => {
  await stopReconciler?.()
  await facilitator?.close()
  facilitator = undefined
  await proxy?.stop()
  await chain?.stop()
})

const retryable = (response: SettleResponse) =>
  !response.success && isErrorCode(response.errorReason) && errorInfo(response.errorReason).class !== 'invalid'

test('behavior: 100 settlements through a faulty RPC: none lost, none doubled, pending ones resolve', async () => {
  console.log(`fault proxy seed ${seed} (TOLLGATE_FAULT_SEED=${seed} replays it)`)
  const client = createPublicClient({ transport: http(proxy.url, { retryCount: 1, retryDelay: 50, timeout: 1_500 }) })
  const store = createMemoryStore()
  const totals: Record<string, number> = {}
  const node = createFacilitator(
    { store, networks: [{ network: chain.network, client, account: chain.accounts.facilitator }] },
    { recover: createNativeRecover(), pollingIntervalMs: 100, receiptTimeoutMs: 3_000 },
  )
  facilitator = node
  const reconciler = createReconciler(
    { store, chains: [{ chainId: chain.chainId, client }] },
    {
      intervalMs: 500,
      staleSeconds: 3n,
      leaseSeconds: 2n,
      onReport: ({ examined, ...counts }) => {
        for (const [key, n] of Object.entries(counts)) totals[key] = (totals[key] ?? 0) + n
      },
    },
  )
  stopReconciler = () => reconciler.stop()
  const payments = await makePayments(chain, count)
  const sellerBefore = await chain.balanceOf(chain.accounts.seller.address)
  const answers = new Map<string, SettleResponse[]>()
  const ask = async (payment: Payment) => {
    const result = await settle(node, payment.body)
    expect(result.ok, JSON.stringify(result)).toBe(true)
    if (!result.ok) return undefined
    answers.set(payment.id, [...(answers.get(payment.id) ?? []), result.response])
    return result.response
  }

  // Phase 1: faults on 25% of requests (TOLLGATE_FAULT_RATE); each payment asked once (a resource server's first try).
  proxy.setRate(Number(process.env.TOLLGATE_FAULT_RATE ?? 0.25))
  reconciler.start()
  const started = Date.now()
  await pool(payments, 16, async (payment) => {
    await ask(payment)
  })
  const faulty = { ...proxy.stats }
  console.log(`faults phase: ${Date.now() - started} ms, proxy ${JSON.stringify(faulty)}`)

  // Phase 2: faults off; ask again whatever has no final answer, as a resource server retries.
  proxy.setRate(0)
  const deadline = Date.now() + 30_000
  const final = new Map<string, SettleResponse>()
  while (final.size < count && Date.now() < deadline) {
    await pool(
      payments.filter((payment) => !final.has(payment.id)),
      16,
      async (payment) => {
        const response = await ask(payment)
        if (response && !retryable(response)) final.set(payment.id, response)
      },
    )
    if (final.size < count) await new Promise((resolve) => setTimeout(resolve, 500))
  }
  await reconciler.stop()
  const report = await reconciler.run()
  console.log(
    `recovery phase: ${Date.now() - started} ms total, final answers ${final.size}/${count}, last reconcile ${JSON.stringify(report)}, reconciler totals ${JSON.stringify(totals)}`,
  )
  const phase1: Record<string, number> = {}
  for (const list of answers.values()) {
    const first = list[0]
    const key = first ? (first.success ? 'success' : (first.errorReason ?? 'none')) : 'none'
    phase1[key] = (phase1[key] ?? 0) + 1
  }
  console.log(`first answers during faults: ${JSON.stringify(phase1)}`)

  const view = await chainView(chain, payments)
  let settled = 0
  for (const payment of payments) {
    const onChain = view.get(payment.id)
    const entry = await store.get(payment.id)
    expect(onChain?.logs ?? 0).toBeLessThanOrEqual(1) // never paid twice
    // Nothing lost: every authorization (valid, funded) lands once the faults stop.
    expect(onChain?.spent, `${payment.id}: ${JSON.stringify(answers.get(payment.id))}`).toBe(true)
    expect(
      entry?.state,
      `${payment.id}: ledger ${entry?.transaction} nonce ${entry?.signerNonce}, chain ${onChain?.transactions}`,
    ).toBe('settled')
    expect(final.get(payment.id)?.success).toBe(true)
    expect(entry?.transaction?.toLowerCase()).toBe(onChain?.transactions[0]?.toLowerCase())
    // No false failure: an answer during the faults was success, pending or retryable, never a refusal.
    for (const answer of answers.get(payment.id) ?? []) {
      expect(answer.success || retryable(answer), JSON.stringify(answer)).toBe(true)
    }
    if (onChain?.spent) settled++
  }
  expect(settled).toBe(count)
  expect((await chain.balanceOf(chain.accounts.seller.address)) - sellerBefore).toBe(paymentValue * BigInt(count))
  expect(faulty.drop + faulty.dropAfter + faulty.delay + faulty.error5xx + faulty.hang).toBeGreaterThan(0)
}, 90_000)

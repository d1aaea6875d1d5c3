/**
 * The facilitator on Workers restarted in the middle of 200 concurrent settlements: Miniflare is disposed (every
 * object with it, mid-request) and started again on the same persisted storage. The facilitator object's alarm
 * finishes what was in flight on its own (adopting the signer's journal, reconciling), every payment ends settled
 * exactly once with the ledger matching the chain, and the resource servers asking again get its one transaction.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LedgerEntry, LedgerState } from '@tollgate/facilitator'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import type { RunningWorker } from '../hono/worker.ts'
import {
  type FacilitatorWorkerSecrets,
  facilitatorWorkerBindings,
  startFacilitatorWorker,
} from '../workers/facilitatorWorker.ts'
import { chainView, makePayments, type Payment, paymentValue, pool } from './payments.ts'

const count = 200
const openStates: readonly LedgerState[] = ['reserved', 'settling', 'submitted']
const allStates: readonly LedgerState[] = [...openStates, 'settled', 'failed', 'expired', 'released']

let chain: LocalChain
let persistDir: string
let bindings: FacilitatorWorkerSecrets
let worker: RunningWorker | undefined

beforeAll(async () => {
  // Blocks only (no automine): sent settlements wait in the pool for their block, so the restart finds some sent and
  // not mined however fast the machine is.
  chain = await startLocalChain({ mining: 'interval' })
  persistDir = await mkdtemp(join(tmpdir(), 'tollgate-do-'))
  bindings = await facilitatorWorkerBindings(chain)
})

afterAll(async () => {
  try {
    await worker?.stop()
  } finally {
    await chain?.stop()
    await rm(persistDir, { recursive: true, force: true })
  }
})

type ShardStub = { list(parameters: { states: readonly LedgerState[]; limit: number }): Promise<LedgerEntry[]> }
type StoreStub = ShardStub & { shards(): Promise<string[]> }

/** Every ledger row, read from the Store's objects from Node (RPC on fresh stubs). */
async function ledger(running: RunningWorker): Promise<LedgerEntry[]> {
  const namespace = (await running.mf.getDurableObjectNamespace('STORE')) as unknown as {
    get(id: unknown): StoreStub
    idFromName(name: string): unknown
  }
  const stub = (name: string) => namespace.get(namespace.idFromName(name))
  const shards = await stub('directory').shards()
  const rows = await Promise.all(shards.map((name) => stub(name).list({ states: allStates, limit: 10_000 })))
  return rows.flat()
}

async function settle(url: string, payment: Payment) {
  const res = await fetch(`${url}/settle`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bindings.TOLLGATE_API_KEYS}` },
    body: JSON.stringify(payment.body),
    signal: AbortSignal.timeout(30_000),
  })
  return { status: res.status, json: (await res.json()) as { success?: boolean; transaction?: string } }
}

test('behavior: objects restarted mid 200 concurrent settlements: each settles exactly once, the ledger matches the chain', async () => {
  const payments = await makePayments(chain, count)
  const sellerBefore = await chain.balanceOf(chain.accounts.seller.address)
  worker = await startFacilitatorWorker(bindings, persistDir)
  const firstUrl = worker.url
  const answered = new Map<string, string>()
  const inFlight = Promise.all(
    payments.map(async (payment) => {
      try {
        const { status, json } = await settle(firstUrl, payment)
        if (status === 200 && json.success === true && json.transaction) answered.set(payment.id, json.transaction)
      } catch {
        // The restart cut this request: the resource server will ask again.
      }
    }),
  )
  // Mid-flight: some settlements signed and sent (in the node's pool, not mined), others not yet.
  for (const until = Date.now() + 30_000; Date.now() < until; ) {
    const { pending } = await chain.testClient.getTxpoolStatus()
    if (pending >= 10) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  await worker.stop()
  worker = undefined
  await inFlight
  const cut = count - answered.size
  expect(cut).toBeGreaterThan(0)

  worker = await startFacilitatorWorker(bindings, persistDir)
  // On its own, with no resource server asking again: the alarm rebuilds the facilitator object, which adopts the
  // signer's journal and reconciles (a settling row nobody holds goes back to reserved and is settled again), until
  // every payment is settled (bounded).
  const deadline = Date.now() + 90_000
  for (;;) {
    const rows = await ledger(worker)
    if (rows.length === count && rows.every((row) => row.state === 'settled')) break
    expect(Date.now()).toBeLessThan(deadline)
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }

  // Then the resource servers ask again for every payment cut: each answer names its one transaction.
  const url = worker.url
  for (let round = 0; round < 20 && answered.size < count; round++) {
    await pool(
      payments.filter((payment) => !answered.has(payment.id)),
      25,
      async (payment) => {
        const { status, json } = await settle(url, payment)
        if (status === 200 && json.success === true && json.transaction) answered.set(payment.id, json.transaction)
      },
    )
  }
  expect(answered.size).toBe(count)

  const rows = await ledger(worker)
  const byId = new Map(rows.map((row) => [row.id, row]))
  const view = await chainView(chain, payments)
  for (const payment of payments) {
    const row = byId.get(payment.id)
    const onChain = view.get(payment.id)
    expect(row?.state, payment.id).toBe('settled')
    expect(onChain).toMatchObject({ spent: true, logs: 1 })
    expect(row?.transaction?.toLowerCase()).toBe(onChain?.transactions[0]?.toLowerCase())
    expect(answered.get(payment.id)?.toLowerCase()).toBe(row?.transaction?.toLowerCase())
  }
  expect(rows.filter((row) => openStates.includes(row.state))).toEqual([])
  expect((await chain.balanceOf(chain.accounts.seller.address)) - sellerBefore).toBe(paymentValue * BigInt(count))
}, 240_000)

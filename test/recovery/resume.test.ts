/**
 * Lost and stranded settlement transactions on a real anvil: the node forgets a broadcast transaction
 * (`anvil_dropTransaction`), the process that sent it is gone, the base fee jumps past it. The engine's
 * keeper sends it again, a restarted facilitator takes it over from the journal (and replaces it at a
 * higher fee), the reconciler re-broadcasts it without a key, and a payer's cancellation ends as
 * `failed`. Every payment lands once or is refused; nothing waits behind a hole.
 */
import {
  type CreateReconcilerOptions,
  createFacilitator,
  createReconciler,
  resettle,
  type Store,
} from '@tollgate/facilitator'
import type { Hex, LocalAccount } from 'viem'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { testUsdc } from '../chain/contracts/artifacts.ts'
import { type Fixture, startFixture } from '../facilitator/fixture.ts'

const gwei = 10n ** 9n
let f: Fixture
beforeAll(async () => {
  f = await startFixture({ receiptTimeoutMs: 800, replaceAfterMs: 60_000 }) // sent again, not replaced
})
afterEach(async () => {
  await f?.chain.testClient.setAutomine(true) // a failed test leaves mining on for the next
})
afterAll(async () => {
  await f?.stop()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function pause() {
  await f.chain.testClient.setAutomine(false)
  await f.chain.testClient.setIntervalMining({ interval: 0 })
}

async function resume() {
  await f.chain.testClient.setAutomine(true)
}

const drop = (hash: Hex) => f.chain.testClient.request({ method: 'anvil_dropTransaction', params: [hash] } as never)

const known = async (hash: Hex) =>
  (await f.chain.testClient.request({ method: 'eth_getTransactionByHash', params: [hash] } as never)) !== null

const spent = (payer: LocalAccount, nonce: Hex) =>
  f.chain.publicClient.readContract({
    address: f.usdc,
    abi: testUsdc.abi,
    functionName: 'authorizationState',
    args: [payer.address, nonce],
  })

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return true
    await sleep(100)
  }
  return check()
}

/** A settlement left `submitted` and unmined by a node that answered `settlement_pending`. */
async function pendingSettlement(post: Fixture['post'], payer: LocalAccount) {
  const payload = await f.sign(payer)
  const { json } = await post('/settle', f.bodyV2(payload))
  expect(json).toMatchObject({ success: false, errorReason: 'settlement_pending' })
  return { payload, hash: json.transaction as Hex }
}

/**
 * Settlements a node answered `settlement_pending` for with mining paused, after which the node
 * process is gone (only the ledger and its journal remain) and the chain forgot the transactions.
 */
async function stranded(signer: LocalAccount, payers: readonly LocalAccount[]) {
  await pause()
  const node = f.peer({ account: signer, receiptTimeoutMs: 300 })
  const settlements = []
  for (const payer of payers) {
    const settlement = await pendingSettlement(node.post, payer)
    settlements.push({ ...settlement, tx: await f.chain.publicClient.getTransaction({ hash: settlement.hash }) })
  }
  await node.close()
  for (const { hash } of settlements) await drop(hash)
  return settlements
}

type Stranded = Awaited<ReturnType<typeof stranded>>[number]

/** A reconciler over the fixture's ledger that finds every row stale at once. */
const reconcilerOf = (options: CreateReconcilerOptions = {}) =>
  createReconciler(
    { store: f.facilitator.store, chains: [{ chainId: f.chain.chainId, client: f.chain.publicClient }] },
    { staleSeconds: 0n, ...options },
  )

describe('lost and stranded settlements', () => {
  test('behavior: a transaction the node lost is sent again by the keeper and lands, with nobody asking', async () => {
    const payer = f.chain.accounts.payers[0]
    await pause()
    const { payload, hash } = await pendingSettlement(f.post, payer)
    await drop(hash)
    expect(await known(hash)).toBe(false)
    await resume()
    // No second /settle: the keeper notices the unmined nonce and sends the same transaction again.
    expect(await until(() => spent(payer, payload.authorization.nonce), 10_000)).toBe(true)
    const receipt = await f.chain.publicClient.getTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
  }, 30_000)

  test('behavior: a restarted facilitator takes over a journaled transaction and replaces it above a risen base fee', async () => {
    const signer = f.chain.accounts.payers[6] // a signer of its own: its nonces start clean
    const payer = f.chain.accounts.payers[1]
    const sellerBefore = await f.chain.balanceOf(f.payTo)
    const [{ payload, hash, tx: original }] = (await stranded(signer, [payer])) as [Stranded]
    const baseFee = 20n * gwei
    expect(original.maxFeePerGas ?? 0n).toBeLessThan(baseFee)
    await f.chain.setBaseFee(baseFee)
    await f.chain.testClient.setIntervalMining({ interval: 1 })

    const restarted = f.peer({
      account: signer,
      replaceAfterMs: 500,
      receiptTimeoutMs: 15_000,
      fees: { ttlMs: 100, maxFeePerGas: 100n * gwei },
    })
    try {
      await restarted.facilitator.resume()
      const { json } = await restarted.post('/settle', f.bodyV2(payload))
      expect(json).toMatchObject({ success: true })
      const landed = await f.chain.publicClient.getTransaction({ hash: json.transaction as Hex })
      expect(landed.nonce).toBe(original.nonce)
      expect(landed.from.toLowerCase()).toBe(signer.address.toLowerCase())
      expect(json.transaction).not.toBe(hash) // a replacement at the same nonce, at a higher fee
      expect(landed.maxFeePerGas ?? 0n).toBeGreaterThanOrEqual(baseFee)
      expect(landed.maxFeePerGas ?? 0n).toBeLessThanOrEqual(100n * gwei)
      expect(await f.chain.balanceOf(f.payTo)).toBe(sellerBefore + 10_000n)
      const entry = (await f.facilitator.store.list({ states: ['settled'], limit: 1_000 })).find(
        (row) => row.transaction === json.transaction,
      )
      expect(entry?.signerNonce).toBe(BigInt(original.nonce))
    } finally {
      await restarted.close()
      await resume()
    }
  }, 40_000)

  test('behavior: the reconciler re-broadcasts a journaled transaction the node lost (no key needed)', async () => {
    const signer = f.chain.accounts.payers[5]
    const payer = f.chain.accounts.payers[2]
    const [{ payload, hash }] = (await stranded(signer, [payer])) as [Stranded] // no keeper left to send it again
    await resume()
    const reconciler = reconcilerOf({ leaseSeconds: 0n }) // each run may look at the row again
    expect(await reconciler.run()).toMatchObject({ rebroadcast: 1, requeued: 0 })
    expect(await until(() => spent(payer, payload.authorization.nonce), 5_000)).toBe(true)
    expect(await reconciler.run()).toMatchObject({ settled: 1 })
    const entry = (await f.facilitator.store.list({ states: ['settled'], limit: 1_000 })).find(
      (row) => row.transaction === hash,
    )
    expect(entry?.payer).toBe(payer.address)
  }, 30_000)

  test('behavior: a hole no journal covers (rows from before the journal) is filled, and what waits behind it lands', async () => {
    const signer = f.chain.accounts.payers[4]
    const [a, b] = (await stranded(signer, f.chain.accounts.payers.slice(0, 2))) as [Stranded, Stranded]
    // The restarted node finds only b's transaction in the journal: a's nonce is a hole nobody covers.
    const store = f.facilitator.store
    const journal: Store = {
      ...store,
      getTransaction: async (hash) => (hash === a.hash ? undefined : store.getTransaction(hash)),
      close: async () => undefined,
    }
    const restarted = createFacilitator(
      { store: journal, networks: [{ network: f.chain.network, client: f.chain.publicClient, account: signer }] },
      { rebroadcastAfterMs: 500, pollingIntervalMs: 20 },
    )
    try {
      await resume()
      await restarted.resume()
      // b lands with nobody asking: the hole below it is filled (a 0-value self-transfer), then b is sent again.
      expect(await until(() => spent(f.chain.accounts.payers[1], b.payload.authorization.nonce), 10_000)).toBe(true)
      const [holeTx, landed] = await Promise.all([
        f.chain.publicClient.getTransaction({ hash: a.hash }).catch(() => undefined),
        f.chain.publicClient.getTransaction({ hash: b.hash }),
      ])
      expect(holeTx).toBeUndefined()
      expect(await f.chain.publicClient.getTransactionCount({ address: signer.address })).toBe(landed.nonce + 1)
      // a was never paid; it is settled at a new nonce when asked again.
      expect(await spent(f.chain.accounts.payers[0], a.payload.authorization.nonce)).toBe(false)
    } finally {
      await restarted.close()
    }
  }, 30_000)

  test('behavior: a payment whose nonce went to another transaction is settled again from the journal, once', async () => {
    const signer = f.chain.accounts.payers[3]
    const payer = f.chain.accounts.payers[2]
    const payerBefore = await f.chain.balanceOf(payer.address)
    const [{ payload, hash, tx: lost }] = (await stranded(signer, [payer])) as [Stranded]
    // The signer's key was used elsewhere: its nonce now holds another transaction.
    await f.chain
      .walletClient(signer)
      .sendTransaction({ to: signer.address, value: 0n, nonce: lost.nonce, gas: 21_000n })
    await resume()
    const requeued: Hex[] = []
    const reconciler = reconcilerOf({
      leaseSeconds: 0n,
      onRequeued: (entry, transaction) => {
        if (transaction) requeued.push(transaction)
        void resettle(f.facilitator, entry, transaction)
      },
    })
    // (Rows earlier tests left behind may be requeued and settled again too.)
    await reconciler.run()
    expect(requeued).toContain(hash)
    expect(await until(() => spent(payer, payload.authorization.nonce), 10_000)).toBe(true)
    const { json } = await f.post('/settle', f.bodyV2(payload))
    expect(json).toMatchObject({ success: true })
    expect(json.transaction).not.toBe(hash)
    expect(await f.chain.balanceOf(payer.address)).toBe(payerBefore - 10_000n) // paid once
  }, 30_000)

  test('behavior: an authorization the payer cancelled on chain ends failed, not pending', async () => {
    const payer = f.chain.accounts.payers[3]
    const payload = await f.sign(payer)
    const { json } = await f.post('/verify', f.bodyV2(payload))
    expect(json).toMatchObject({ isValid: true })
    await f.chain.cancelAuthorization({ payer, nonce: payload.authorization.nonce })
    expect(await reconcilerOf().run()).toMatchObject({ failed: 1 })
    const [entry] = (await f.facilitator.store.list({ states: ['failed'], limit: 1_000 })).filter(
      (row) => row.nonce === payload.authorization.nonce,
    )
    expect(entry).toMatchObject({ errorCode: 'invalid_exact_evm_nonce_already_used' })
    const settle = await f.post('/settle', f.bodyV2(payload))
    expect(settle.json).toMatchObject({ success: false })
  }, 30_000)
})

/** The reconciler against a local anvil: each non-final state finished by asking the chain. */
import { toExactAuthorization, transferWithAuthorizationData } from '@tollgate/evm'
import type { Address, Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type LocalChain, startLocalChain } from '../../../../test/chain/localChain.ts'
import { authorizationId } from '../request/authorizationId.ts'
import { createMemoryStore } from '../store/createMemoryStore.ts'
import type { LedgerPatch, LedgerState } from '../store/ledgerStore.ts'
import type { Store } from '../store/store.ts'
import { createReconciler } from './createReconciler.ts'

let chain: LocalChain
beforeAll(async () => {
  chain = await startLocalChain()
})
afterAll(async () => {
  await chain?.stop()
})

const clock = () => BigInt(Math.floor(Date.now() / 1000))
const bogusHash = (i: number): Hex => `0x${i.toString(16).padStart(64, 'a')}`

/** A signed authorization and its ledger row, put straight into `state` with `patch`. */
async function row(store: Store, i: number, state: LedgerState, patch: LedgerPatch = {}, validBefore?: bigint) {
  const payer = chain.accounts.payers[i % 8] as LocalChain['accounts']['payers'][number]
  const payload = await chain.signTransferAuthorization({
    payer,
    to: chain.accounts.seller.address,
    value: 1_000n,
    validAfter: 0n,
    validBefore: validBefore ?? clock() + 300n,
  })
  const authorization = toExactAuthorization(payload.authorization)
  const id = authorizationId({ chainId: 8453, asset: chain.usdc, from: payer.address, nonce: authorization.nonce })
  const reserved = await store.reserve({
    id,
    network: 'eip155:8453',
    chainId: 8453,
    asset: chain.usdc,
    payer: payer.address,
    payTo: chain.accounts.seller.address,
    amount: 1_000n,
    nonce: authorization.nonce,
    validAfter: 0n,
    validBefore: authorization.validBefore,
    payloadHash: bogusHash(i),
    x402Version: 2,
    createdAt: clock() - 120n,
  })
  expect(reserved.ok).toBe(true)
  const path: LedgerState[] =
    state === 'reserved' ? [] : state === 'settling' ? ['settling'] : ['settling', 'submitted']
  for (const to of path) {
    const moved = await store.transition(id, {
      from: [to === 'settling' ? 'reserved' : 'settling'],
      to,
      patch: to === state ? patch : {},
      now: clock() - 120n,
    })
    expect(moved.ok).toBe(true)
  }
  /** Lands the transfer from the facilitator's key, as a (replacement) settlement would. */
  const land = async () => {
    const wallet = chain.walletClient(chain.accounts.facilitator)
    const hash = await wallet.sendTransaction({
      to: chain.usdc,
      data: transferWithAuthorizationData(authorization, payload.signature as Hex),
      gas: 150_000n,
    })
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
    return hash
  }
  /** The payer lands its own authorization under the same nonce: 1 unit to itself (or `twin`). */
  const frontRun = async (twin: { to: Address; value: bigint } = { to: payer.address, value: 1n }) => {
    const b = await chain.signTransferAuthorization({
      payer,
      ...twin,
      validAfter: 0n,
      validBefore: clock() + 300n,
      nonce: authorization.nonce,
    })
    const hash = await chain.walletClient(payer).sendTransaction({
      to: chain.usdc,
      data: transferWithAuthorizationData(toExactAuthorization(b.authorization), b.signature as Hex),
      gas: 150_000n,
    })
    expect((await chain.publicClient.waitForTransactionReceipt({ hash })).status).toBe('success')
    return hash
  }
  /** Sends A from the facilitator's key (a settlement), whatever comes of it. */
  const send = async () => {
    const hash = await chain.walletClient(chain.accounts.facilitator).sendTransaction({
      to: chain.usdc,
      data: transferWithAuthorizationData(authorization, payload.signature as Hex),
      gas: 150_000n,
    })
    return chain.publicClient.waitForTransactionReceipt({ hash })
  }
  return { id, land, frontRun, send }
}

const reconcilerOf = (store: Store) =>
  createReconciler({ store, chains: [{ chainId: 8453, client: chain.publicClient }] }, { staleSeconds: 60n })

describe('createReconciler', () => {
  test('default: a submitted row whose receipt carries the Transfer is settled', async () => {
    const store = createMemoryStore()
    const { id, land } = await row(store, 0, 'submitted')
    const hash = await land()
    const signer = chain.accounts.facilitator.address
    await store.transition(id, {
      from: ['submitted'],
      to: 'submitted',
      patch: { transaction: hash, signer, signerNonce: 0n },
      now: clock(),
    })
    const report = await reconcilerOf(store).run()
    expect(report).toMatchObject({ examined: 1, settled: 1 })
    expect(await store.get(id)).toMatchObject({ state: 'settled', transaction: hash })
  })

  test('behavior: spent by another transaction (a replacement): settled with the hash from AuthorizationUsed', async () => {
    const store = createMemoryStore()
    const signer = chain.accounts.facilitator.address
    const pending = await chain.publicClient.getTransactionCount({ address: signer })
    const { id, land } = await row(store, 1, 'submitted', {
      transaction: bogusHash(1),
      signer,
      signerNonce: BigInt(pending),
    })
    const hash = await land()
    expect(await reconcilerOf(store).run()).toMatchObject({ settled: 1 })
    const entry = await store.get(id)
    expect(entry).toMatchObject({ state: 'settled', transaction: hash })
    expect(entry?.blockNumber).toBeGreaterThan(0n)
  })

  test('behavior: the nonce used by something else and the authorization unspent: back to reserved', async () => {
    const store = createMemoryStore()
    const signer = chain.accounts.facilitator.address
    const { id } = await row(store, 2, 'submitted', { transaction: bogusHash(2), signer, signerNonce: 0n })
    expect(await reconcilerOf(store).run()).toMatchObject({ requeued: 1 })
    const entry = await store.get(id)
    expect(entry?.state).toBe('reserved')
    expect(entry?.transaction).toBeUndefined()
    expect(entry?.signerNonce).toBeUndefined()
  })

  test('behavior: a transaction still pending (nonce not mined) is left to the engine', async () => {
    const store = createMemoryStore()
    const signer = chain.accounts.facilitator.address
    const { id } = await row(store, 3, 'submitted', { transaction: bogusHash(3), signer, signerNonce: 10n ** 6n })
    // Recently written: left alone even though the node does not know the transaction (yet).
    await store.transition(id, { from: ['submitted'], to: 'submitted', now: clock() })
    expect(await reconcilerOf(store).run()).toMatchObject({ pending: 1 })
    expect((await store.get(id))?.state).toBe('submitted')
  })

  test('behavior: recorded but never broadcast (unknown to the node, stale): back to reserved', async () => {
    const store = createMemoryStore()
    const signer = chain.accounts.facilitator.address
    const { id } = await row(store, 3, 'submitted', { transaction: bogusHash(4), signer, signerNonce: 10n ** 6n })
    expect(await reconcilerOf(store).run()).toMatchObject({ requeued: 1 })
    expect((await store.get(id))?.state).toBe('reserved')
  })

  test('behavior: an abandoned settling row is given back; a fresh one is left alone', async () => {
    const store = createMemoryStore()
    const stale = await row(store, 4, 'settling')
    const reconciler = createReconciler(
      { store, chains: [{ chainId: 8453, client: chain.publicClient }] },
      { staleSeconds: 60n },
    )
    expect(await reconciler.run()).toMatchObject({ requeued: 1 })
    expect((await store.get(stale.id))?.state).toBe('reserved')
    const fresh = await row(store, 5, 'settling')
    await store.transition(fresh.id, { from: ['settling'], to: 'reserved', now: clock() })
    await store.transition(fresh.id, { from: ['reserved'], to: 'settling', now: clock() })
    await reconciler.run()
    expect((await store.get(fresh.id))?.state).toBe('settling')
  })

  test('behavior: reserved past validBefore expires; spent ones are settled instead', async () => {
    const store = createMemoryStore()
    const expired = await row(store, 6, 'reserved', {}, clock() + 2n)
    const spent = await row(store, 7, 'reserved', {}, clock() + 4n)
    await spent.land()
    // Not expired but sitting reserved for long (given back after a lost answer) and spent after all.
    const landed = await row(store, 8, 'reserved')
    await landed.land()
    const waiting = await row(store, 9, 'reserved')
    await new Promise((resolve) => setTimeout(resolve, 4_100))
    expect(await reconcilerOf(store).run()).toMatchObject({ expired: 1, settled: 2, pending: 1 })
    expect((await store.get(expired.id))?.state).toBe('expired')
    expect((await store.get(spent.id))?.state).toBe('settled')
    expect((await store.get(landed.id))?.state).toBe('settled')
    expect((await store.get(waiting.id))?.state).toBe('reserved')
  })

  test('behavior: two reconcilers on one store never take the same submitted row', async () => {
    const store = createMemoryStore()
    const signer = chain.accounts.facilitator.address
    for (let i = 0; i < 6; i++) {
      await row(store, 8 + i, 'submitted', { transaction: bogusHash(20 + i), signer, signerNonce: 10n ** 6n })
    }
    const [a, b] = await Promise.all([
      createReconciler({ store, chains: [{ chainId: 8453, client: chain.publicClient }] }, { owner: 'a' }).run(),
      createReconciler({ store, chains: [{ chainId: 8453, client: chain.publicClient }] }, { owner: 'b' }).run(),
    ])
    expect(a.examined + b.examined).toBe(6)
  })

  test('behavior: start runs at once and then every interval; stop waits for the pass', async () => {
    const store = createMemoryStore()
    const reports: number[] = []
    const reconciler = createReconciler(
      { store, chains: [{ chainId: 8453, client: chain.publicClient }] },
      { intervalMs: 50, onReport: (report) => reports.push(report.examined) },
    )
    reconciler.start()
    await new Promise((resolve) => setTimeout(resolve, 300))
    await reconciler.stop()
    const runs = reports.length
    expect(runs).toBeGreaterThanOrEqual(2)
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(reports.length).toBe(runs)
  })
})

describe('createReconciler: the payer front-runs its own nonce', () => {
  const failedWithUsedNonce = { state: 'failed', errorCode: 'invalid_exact_evm_nonce_already_used' }

  test('behavior: reserved, settling and submitted rows whose nonce another authorization spent end failed', async () => {
    const store = createMemoryStore()
    const signer = chain.accounts.facilitator.address
    const reserved = await row(store, 10, 'reserved')
    const settling = await row(store, 11, 'settling')
    const submitted = await row(store, 12, 'submitted', { transaction: bogusHash(12), signer, signerNonce: 0n })
    const short = await row(store, 13, 'submitted', { transaction: bogusHash(13), signer, signerNonce: 0n })
    const sellerBefore = await chain.balanceOf(chain.accounts.seller.address)
    await reserved.frontRun()
    await settling.frontRun()
    await submitted.frontRun()
    await short.frontRun({ to: chain.accounts.seller.address, value: 999n })
    const report = await reconcilerOf(store).run()
    expect(report).toMatchObject({ examined: 4, failed: 4, settled: 0 })
    for (const { id } of [reserved, settling, submitted, short]) {
      expect(await store.get(id)).toMatchObject(failedWithUsedNonce)
    }
    expect(await chain.balanceOf(chain.accounts.seller.address)).toBe(sellerBefore + 999n)
    // Final: a later pass changes nothing.
    expect(await reconcilerOf(store).run()).toMatchObject({ examined: 0 })
  })

  test('behavior: our settlement mined after the payer spent the nonce (reverted receipt): failed, never settled', async () => {
    const store = createMemoryStore()
    const signer = chain.accounts.facilitator.address
    const late = await row(store, 14, 'submitted')
    await late.frontRun()
    const receipt = await late.send()
    expect(receipt.status).toBe('reverted')
    await store.transition(late.id, {
      from: ['submitted'],
      to: 'submitted',
      patch: { transaction: receipt.transactionHash, signer, signerNonce: 0n },
      now: clock(),
    })
    expect(await reconcilerOf(store).run()).toMatchObject({ failed: 1, settled: 0 })
    expect(await store.get(late.id)).toMatchObject({ ...failedWithUsedNonce, transaction: receipt.transactionHash })
  })
})

/**
 * Preconfirmed is not final, on a real anvil that mines only when told (a Flashblock is played by the
 * sync proxy: the transaction mined in a block that is then taken back). `/settle` answers success on
 * the preconfirmed receipt and the ledger records `preconfirmed`; the reconciler confirms the payment
 * once its transaction is in a sealed block, sends the journaled transaction again when the
 * preconfirmation was dropped (settled once), and records the failure when it reverts in the sealed
 * block. A sync call that misses its receipt past the settle wait is answered pending and finished
 * by the reconciler.
 */
import { createRecovery } from '@tollgate/facilitator'
import type { ExactEvmPayload } from '@tollgate/protocol'
import { encodeFunctionData, type Hex, parseAbiItem, parseGwei } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import type { SyncBehaviour } from './syncProxy.ts'
import { type SyncRun, signPayment, startSyncRun } from './syncRun.ts'

const transferEvent = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)')

let chain: LocalChain
beforeAll(async () => {
  // Blocks only when the test (or the proxy) mines one: nothing is sealed behind its back.
  chain = await startLocalChain({ mining: 'interval', blockTime: 3600 })
})
afterAll(async () => {
  await chain?.stop()
})

type Run = SyncRun & { reconcile: ReturnType<typeof createRecovery>['run'] }

async function start(sync: SyncBehaviour, { receiptTimeoutMs = 3_000, pollAfterMs = 10_000 } = {}): Promise<Run> {
  const run = await startSyncRun(chain, {
    sync,
    options: {
      pollingIntervalMs: 100,
      receiptTimeoutMs,
      // The keeper would send a lost transaction again by itself: here the reconciler must.
      rebroadcastAfterMs: 600_000,
      replaceAfterMs: Number.POSITIVE_INFINITY,
      sendSync: { mode: 'on', timeoutMs: 4_000, pollAfterMs },
    },
  })
  // The reconciler reads the chain itself (not through the proxy), as a separate process would.
  const recovery = createRecovery(run.facilitator, {
    intervalMs: 0,
    staleSeconds: 0n,
    leaseSeconds: 0n, // every run looks at every row
    clients: new Map([[chain.chainId, chain.publicClient]]),
  })
  return { ...run, reconcile: () => recovery.run() }
}

const stop = (run: Run) => run.stop()
const sign = (payer: number) => signPayment(chain, payer)

const transfersOf = async (payload: ExactEvmPayload) =>
  (
    await chain.publicClient.getLogs({
      address: chain.usdc,
      event: transferEvent,
      args: { from: payload.authorization.from as Hex, to: chain.accounts.seller.address },
      fromBlock: 0n,
    })
  ).filter((log) => log.args.value === 10_000n)

const known = async (hash: Hex) =>
  (await chain.publicClient.request({ method: 'eth_getTransactionByHash', params: [hash] })) !== null

describe('preconfirmed is not final', () => {
  test('behavior: a preconfirmed receipt is answered settled, recorded preconfirmed, and confirmed once sealed', async () => {
    const run = await start('preconfirm')
    try {
      const payload = await sign(0)
      const before = (await transfersOf(payload)).length
      const answer = await run.settle(payload)
      expect(answer).toMatchObject({ success: true })
      const hash = answer.transaction as Hex
      const [row] = await run.facilitator.store.list({ states: ['preconfirmed'] })
      expect(row).toMatchObject({ state: 'preconfirmed', transaction: hash })
      // Not in a sealed block: the reconciler leaves it as it is.
      expect(await known(hash)).toBe(true)
      expect(await run.reconcile()).toMatchObject({ examined: 1, settled: 0, pending: 1 })
      // The same payment asked again meanwhile: the same success, no second transaction.
      expect(await run.settle(payload)).toMatchObject({ success: true, transaction: hash })

      await chain.testClient.mine({ blocks: 1 })
      const sealed = await chain.publicClient.getTransactionReceipt({ hash })
      expect(await run.reconcile()).toMatchObject({ settled: 1 })
      expect(await run.facilitator.store.get(row?.id as string)).toMatchObject({
        state: 'settled',
        transaction: hash,
        blockNumber: sealed.blockNumber,
      })
      expect(await run.settle(payload)).toMatchObject({ success: true, transaction: hash })
      expect((await transfersOf(payload)).length - before).toBe(1)
    } finally {
      await stop(run)
    }
  }, 30_000)

  test('behavior: a dropped preconfirmation is sent again from the journal by the reconciler and settles once', async () => {
    const run = await start('drop')
    try {
      const payload = await sign(1)
      const seller = await chain.balanceOf(chain.accounts.seller.address)
      const answer = await run.settle(payload)
      expect(answer).toMatchObject({ success: true })
      const hash = answer.transaction as Hex
      expect(await known(hash)).toBe(false) // the sequencer dropped it
      const [row] = await run.facilitator.store.list({ states: ['preconfirmed'] })
      expect(row?.transaction).toBe(hash)

      expect(await run.reconcile()).toMatchObject({ rebroadcast: 1 })
      expect(await known(hash)).toBe(true)
      await chain.testClient.mine({ blocks: 1 })
      expect(await run.reconcile()).toMatchObject({ settled: 1 })
      expect(await run.facilitator.store.get(row?.id as string)).toMatchObject({ state: 'settled', transaction: hash })
      expect(await transfersOf(payload)).toHaveLength(1)
      expect((await chain.balanceOf(chain.accounts.seller.address)) - seller).toBe(10_000n)
      // Once more: nothing left to do, nothing sent again.
      await chain.testClient.mine({ blocks: 1 })
      expect(await run.reconcile()).toMatchObject({ examined: 0 })
      expect(await transfersOf(payload)).toHaveLength(1)
    } finally {
      await stop(run)
    }
  }, 30_000)

  test('behavior: a preconfirmation that reverts in the sealed block is recorded failed, not settled', async () => {
    const run = await start('preconfirm')
    try {
      const payer = chain.accounts.payers[2] ?? chain.accounts.payers[0]
      const payload = await sign(2)
      const answer = await run.settle(payload)
      expect(answer).toMatchObject({ success: true })
      // The payer cancels the authorization, ordered before the settlement in the sealed block.
      const signature = await chain.signCancelAuthorization({ payer, nonce: payload.authorization.nonce as Hex })
      // Signed here with explicit gas: an estimate would run against the pool, where the settlement is first.
      const raw = await payer.signTransaction({
        chainId: chain.chainId,
        type: 'eip1559',
        to: chain.usdc,
        data: encodeFunctionData({
          abi: [parseAbiItem('function cancelAuthorization(address authorizer, bytes32 nonce, bytes signature)')],
          functionName: 'cancelAuthorization',
          args: [payer.address, payload.authorization.nonce as Hex, signature],
        }),
        nonce: await chain.publicClient.getTransactionCount({ address: payer.address, blockTag: 'pending' }),
        gas: 200_000n,
        maxPriorityFeePerGas: parseGwei('50'),
        maxFeePerGas: parseGwei('100'),
      })
      await chain.publicClient.sendRawTransaction({ serializedTransaction: raw })
      await chain.testClient.mine({ blocks: 1 })
      const receipt = await chain.publicClient.getTransactionReceipt({ hash: answer.transaction as Hex })
      expect(receipt.status).toBe('reverted')
      expect(await run.reconcile()).toMatchObject({ failed: 1 })
      const [row] = await run.facilitator.store.list({ states: ['failed'] })
      expect(row).toMatchObject({ state: 'failed', transaction: answer.transaction })
      expect(await run.settle(payload)).toMatchObject({ success: false })
      expect(await transfersOf(payload)).toHaveLength(0)
    } finally {
      await stop(run)
    }
  }, 30_000)

  test('behavior: a sync call that misses its receipt past the settle wait is answered pending, then finished by the reconciler', async () => {
    // The sync call hangs and no poll comes within the wait (Base's node missing a published receipt).
    const run = await start('hang', { receiptTimeoutMs: 1_000, pollAfterMs: 60_000 })
    try {
      const payload = await sign(3)
      const answer = await run.settle(payload)
      expect(answer).toMatchObject({ success: false, errorReason: 'settlement_pending' })
      const hash = answer.transaction as Hex
      await chain.testClient.mine({ blocks: 1 })
      expect(await run.reconcile()).toMatchObject({ settled: 1 })
      expect(await run.settle(payload)).toMatchObject({ success: true, transaction: hash })
      expect(await transfersOf(payload)).toHaveLength(1)
    } finally {
      await stop(run)
    }
  }, 30_000)
})

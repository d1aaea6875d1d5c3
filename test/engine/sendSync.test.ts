/**
 * EIP-7966 on a real anvil with interval mining only (a transaction waits for its block): a settlement
 * sent with `eth_sendRawTransactionSync` is answered with the receipt the call brought, at the next
 * block, without one receipt poll; a sync call that misses its receipt (hangs) or times out (code 4)
 * is finished by the poll; an RPC without the method gets an ordinary send and the poll.
 */
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import type { SyncBehaviour } from './syncProxy.ts'
import { type SyncRun, signPayment, startSyncRun } from './syncRun.ts'

let chain: LocalChain
beforeAll(async () => {
  chain = await startLocalChain({ blockTime: 1, mining: 'interval' }) // every transaction waits for its block
})
afterAll(async () => {
  await chain?.stop()
})

type Run = Omit<SyncRun, 'settle'> & { settle(payer: number): Promise<Record<string, unknown>> }

async function start(sync: SyncBehaviour, pollAfterMs = 300): Promise<Run> {
  const run = await startSyncRun(chain, {
    sync,
    options: {
      pollingIntervalMs: 250,
      receiptTimeoutMs: 10_000,
      sendSync: { mode: 'auto', timeoutMs: 4_000, pollAfterMs },
    },
  })
  return { ...run, settle: async (payer) => run.settle(await signPayment(chain, payer)) }
}

const stop = (run: Run) => run.stop()

describe('settlement through eth_sendRawTransactionSync', () => {
  test('answered with the receipt of the next block, without a receipt poll', async () => {
    // No fallback poll within the wait: the receipt comes with the send alone.
    const run = await start('forward', 10_000)
    try {
      const before = await chain.publicClient.getBlockNumber()
      const answer = await run.settle(0)
      expect(answer).toMatchObject({ success: true })
      const receipt = await chain.publicClient.getTransactionReceipt({ hash: answer.transaction as Hex })
      expect(receipt.status).toBe('success')
      expect(receipt.blockNumber).toBeGreaterThan(before)
      expect(receipt.blockNumber).toBeLessThanOrEqual(before + 2n)
      // The probe, the send refused for its timeout parameter (anvil 1.7 takes none), the send; the
      // receipt came with the send.
      expect(run.proxy.calls('eth_sendRawTransactionSync')).toBe(3)
      expect(run.proxy.calls('eth_sendRawTransaction')).toBe(0)
      expect(run.proxy.calls('eth_getTransactionReceipt')).toBe(0)
      const [entry] = await run.facilitator.store.list({ states: ['settled'] })
      expect(entry).toMatchObject({ transaction: answer.transaction, blockNumber: receipt.blockNumber })
    } finally {
      await stop(run)
    }
  }, 20_000)

  test('a sync call that misses its receipt (it hangs) is finished by the fallback poll', async () => {
    const run = await start('hang')
    try {
      const answer = await run.settle(1)
      expect(answer).toMatchObject({ success: true })
      expect(run.proxy.calls('eth_sendRawTransactionSync')).toBe(2) // the probe, the send that hangs
      expect(run.proxy.calls('eth_getTransactionReceipt')).toBeGreaterThan(0)
      const receipt = await chain.publicClient.getTransactionReceipt({ hash: answer.transaction as Hex })
      expect(receipt.status).toBe('success')
      expect(await run.facilitator.store.list({ states: ['settled'] })).toHaveLength(1)
    } finally {
      await stop(run)
    }
  }, 20_000)

  test('a sync call answered with the EIP-7966 timeout (code 4) is finished by the receipt poll', async () => {
    const run = await start('timeout')
    try {
      const answer = await run.settle(2)
      expect(answer).toMatchObject({ success: true })
      expect(run.proxy.calls('eth_getTransactionReceipt')).toBeGreaterThan(0)
      expect(await run.facilitator.store.list({ states: ['settled'] })).toHaveLength(1)
    } finally {
      await stop(run)
    }
  }, 20_000)

  test('an RPC without the method (-32601) gets eth_sendRawTransaction and the receipt poll', async () => {
    const run = await start('notFound')
    try {
      const answer = await run.settle(3)
      expect(answer).toMatchObject({ success: true })
      expect(run.proxy.calls('eth_sendRawTransactionSync')).toBe(1) // the probe only
      expect(run.proxy.calls('eth_sendRawTransaction')).toBe(1)
      expect(run.proxy.calls('eth_getTransactionReceipt')).toBeGreaterThan(0)
      expect(await run.facilitator.store.list({ states: ['settled'] })).toHaveLength(1)
    } finally {
      await stop(run)
    }
  }, 20_000)
})

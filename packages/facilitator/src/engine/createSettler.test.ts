/** The settlement engine against a local anvil: nonces, gap filling, receipts. */
import { toExactAuthorization } from '@tollgate/evm'
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type LocalChain, startLocalChain } from '../../../../test/chain/localChain.ts'
import { createSettler, type Settler } from './createSettler.ts'

let chain: LocalChain
let settler: Settler
beforeAll(async () => {
  chain = await startLocalChain()
  settler = createSettler(chain.publicClient, {
    account: chain.accounts.facilitator,
    chainId: 8453,
    pollingIntervalMs: 20,
  })
})
afterAll(async () => {
  settler?.close()
  await chain?.stop()
})

const now = () => BigInt(Math.floor(Date.now() / 1000))
const signer = () => chain.accounts.facilitator.address
const count = (blockTag: 'latest' | 'pending') =>
  chain.publicClient.getTransactionCount({ address: signer(), blockTag })

async function payment(i: number) {
  const payer = chain.accounts.payers[i % 8] as (typeof chain.accounts.payers)[number]
  const payload = await chain.signTransferAuthorization({
    payer,
    to: chain.accounts.seller.address,
    value: 1_000n,
    validAfter: 0n,
    validBefore: now() + 300n,
  })
  return {
    authorization: toExactAuthorization(payload.authorization),
    signature: { kind: 'eoa' as const, signature: payload.signature },
  }
}

describe('createSettler', () => {
  test('default: submit records before broadcast, then the receipt carries the Transfer', async () => {
    const recorded: unknown[] = []
    const sent = await settler.submit({
      asset: chain.usdc,
      ...(await payment(0)),
      beforeBroadcast: async (settlement) => {
        recorded.push(settlement)
        // Written before broadcast: the node does not know the transaction yet.
        expect(
          await chain.publicClient.request({ method: 'eth_getTransactionByHash', params: [settlement.hash] }),
        ).toBeNull()
      },
    })
    expect(sent.ok).toBe(true)
    if (!sent.ok) return
    expect(recorded).toEqual([{ hash: sent.hash, nonce: sent.nonce, signer: signer() }])
    const receipt = await settler.waitForReceipt({ hash: sent.hash, nonce: sent.nonce, timeoutMs: 5_000 })
    expect(receipt?.status).toBe('success')
    const tx = await chain.publicClient.getTransaction({ hash: sent.hash })
    expect({ gas: tx.gas, type: tx.type, chainId: tx.chainId }).toEqual({
      gas: 150_000n,
      type: 'eip1559',
      chainId: 8453,
    })
  })

  test('behavior: sends that fail before broadcast leave no gap, even when later nonces were already sent', async () => {
    const before = await count('latest')
    const payments = await Promise.all(Array.from({ length: 10 }, (_, i) => payment(i)))
    const results = await Promise.all(
      payments.map((p, i) =>
        settler.submit({
          asset: chain.usdc,
          ...p,
          beforeBroadcast: async () => {
            if (i === 3 || i === 6) throw new Error('ledger write failed')
          },
        }),
      ),
    )
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false, true, true, false, true, true, true])
    expect(results[3]).toMatchObject({ ok: false, code: 'unexpected_settle_error', message: 'ledger write failed' })
    // 8 settlements + 2 gap fillers (0-value self-transfers) all mined: nothing waits in the pool.
    const deadline = Date.now() + 5_000
    while ((await count('latest')) < before + 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(await count('latest')).toBe(before + 10)
    expect(await count('pending')).toBe(before + 10)
    const receipts = await Promise.all(
      results
        .filter((r) => r.ok)
        .map((r) => (r.ok ? settler.waitForReceipt({ hash: r.hash, nonce: r.nonce, timeoutMs: 5_000 }) : undefined)),
    )
    expect(receipts.map((r) => r?.status)).toEqual(Array(8).fill('success'))
  })

  test('behavior: a transaction sent at a nonce used elsewhere is retried at the next one', async () => {
    // Someone else uses the signer key: our allocator is now one behind the chain.
    const wallet = chain.walletClient(chain.accounts.facilitator)
    const other = await wallet.sendTransaction({ to: signer(), value: 0n })
    await chain.publicClient.waitForTransactionReceipt({ hash: other })
    const sent = await settler.submit({
      asset: chain.usdc,
      ...(await payment(1)),
      beforeBroadcast: async () => undefined,
    })
    expect(sent.ok).toBe(true)
    if (!sent.ok) return
    const receipt = await settler.waitForReceipt({ hash: sent.hash, nonce: sent.nonce, timeoutMs: 5_000 })
    expect(receipt?.status).toBe('success')
  })

  test('behavior: on its clock, the keeper sends a lost transaction again only after rebroadcastAfterMs, and replaces it only after replaceAfterMs', async () => {
    const own = await startLocalChain()
    const at = { ms: 0 }
    const kept = createSettler(own.publicClient, {
      account: own.accounts.facilitator,
      chainId: 8453,
      pollingIntervalMs: 20,
      rebroadcastAfterMs: 1_000,
      replaceAfterMs: 10_000,
      clock: () => at.ms,
    })
    // In the node's pool (anvil still answers eth_getTransactionByHash for a dropped transaction).
    const pooled = async () =>
      Object.values((await own.testClient.getTxpoolContent()).pending).flatMap((byNonce) => Object.values(byNonce))
    const known = async (hash: Hex) => (await pooled()).some((tx) => tx.hash === hash)
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    const until = async (done: () => Promise<boolean>) => {
      for (const deadline = Date.now() + 5_000; Date.now() < deadline; await sleep(50)) if (await done()) return true
      return false
    }
    try {
      // Nothing mined but what the test mines.
      await own.testClient.setAutomine(false)
      await own.testClient.setIntervalMining({ interval: 0 })
      const payer = own.accounts.payers[0] as (typeof own.accounts.payers)[number]
      const payload = await own.signTransferAuthorization({
        payer,
        to: own.accounts.seller.address,
        value: 1_000n,
        validAfter: 0n,
        validBefore: now() + 300n,
      })
      const sent = await kept.submit({
        asset: own.usdc,
        authorization: toExactAuthorization(payload.authorization),
        signature: { kind: 'eoa', signature: payload.signature },
        beforeBroadcast: async () => undefined,
      })
      expect(sent.ok).toBe(true)
      if (!sent.ok) return
      expect(await until(() => known(sent.hash))).toBe(true)

      await own.testClient.dropTransaction({ hash: sent.hash }) // the node lost it
      await sleep(1_200) // several keeper rounds, none due on its clock
      expect(await known(sent.hash)).toBe(false)

      at.ms += 1_000
      expect(await until(() => known(sent.hash))).toBe(true) // sent again as signed, same hash

      await own.testClient.dropTransaction({ hash: sent.hash })
      at.ms += 10_000 // past replaceAfterMs: replaced at the same nonce with higher fees
      const replaced = await until(async () => (await pooled()).some((tx) => tx.hash !== sent.hash))
      expect(replaced).toBe(true)
      await own.testClient.mine({ blocks: 1 })
      expect(await kept.waitForReceipt({ hash: sent.hash, nonce: sent.nonce, timeoutMs: 5_000 })).toMatchObject({
        status: 'success',
      })
    } finally {
      kept.close()
      await own.stop()
    }
  })

  test('behavior: a receipt that does not come in time resolves undefined', async () => {
    const receipt = await settler.waitForReceipt({ hash: `0x${'12'.repeat(32)}`, nonce: 10n ** 9n, timeoutMs: 100 })
    expect(receipt).toBeUndefined()
  })
})

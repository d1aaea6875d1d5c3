/**
 * Batched settlement on a real anvil: waiting payments go out in one Multicall3 `aggregate3`
 * transaction, each row `submitted` with the batch hash; each payment's outcome is read from the
 * receipt's logs, so one payment whose call fails (its authorization used elsewhere meanwhile)
 * fails alone while the others settle.
 */
import { toExactAuthorization, transferWithAuthorizationData } from '@tollgate/evm'
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type Fixture, startFixture } from '../facilitator/fixture.ts'

let f: Fixture
beforeAll(async () => {
  f = await startFixture()
})
afterAll(() => f?.stop())

describe('batched settlement', () => {
  test('waiting payments share one Multicall3 transaction; a failed call touches only its payment', async () => {
    const signer = f.chain.accounts.payers[6]
    const peer = f.peer({ account: signer, batch: { maxSize: 50, maxWaitMs: 1_500 }, receiptTimeoutMs: 20_000 })
    try {
      const payers = f.chain.accounts.payers.slice(0, 4)
      const payloads = (
        await Promise.all(payers.map((payer) => Promise.all(Array.from({ length: 10 }, () => f.sign(payer)))))
      ).flat()
      const sellerBefore = await f.chain.balanceOf(f.payTo)
      const nonceBefore = await f.chain.publicClient.getTransactionCount({ address: signer.address })
      const answers = Promise.all(payloads.map((payload) => peer.post('/settle', f.bodyV2(payload))))

      // While the batch collects (all 40 verified and claimed), the first authorization is used
      // directly on chain by someone else.
      for (let i = 0; i < 100; i++) {
        if ((await f.facilitator.store.list({ states: ['settling'], limit: 100 })).length === 40) break
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      const stolen = payloads[0]
      if (!stolen) throw new Error('no payload')
      const frontRunner = f.chain.walletClient(f.chain.accounts.payers[7])
      const direct = await frontRunner.sendTransaction({
        to: f.usdc,
        data: transferWithAuthorizationData(toExactAuthorization(stolen.authorization), stolen.signature as Hex),
      })
      expect((await f.chain.publicClient.waitForTransactionReceipt({ hash: direct })).status).toBe('success')

      const results = (await answers).map(({ json }) => json)
      const [first, ...rest] = results
      // Its call in the batch failed, but the payee was paid by the direct transaction: a settlement,
      // not a failure, reported with the transaction that spent the authorization.
      expect(first).toMatchObject({ success: true, transaction: direct })
      for (const result of rest) expect(result.success).toBe(true)
      const hashes = new Set(rest.map((result) => result.transaction))
      const transactions = (await f.chain.publicClient.getTransactionCount({ address: signer.address })) - nonceBefore
      console.info(`40 payments in ${transactions} batch transaction(s)`)
      expect(transactions).toBe(1)
      expect(hashes.size).toBe(1)
      expect(await f.chain.balanceOf(f.payTo)).toBe(sellerBefore + 40n * 10_000n) // 39 batched + 1 direct

      // Ledger: 39 rows name the batch transaction, the front-run one the direct transaction.
      const settled = await f.facilitator.store.list({ states: ['settled'], limit: 1_000 })
      expect(await f.facilitator.store.list({ states: ['failed'], limit: 1_000 })).toEqual([])
      expect(settled.filter((entry) => hashes.has(entry.transaction))).toHaveLength(39)
      expect(settled.filter((entry) => entry.transaction === direct)).toHaveLength(1)

      const receipts = await Promise.all(
        [...hashes].map((hash) => f.chain.publicClient.getTransactionReceipt({ hash: hash as Hex })),
      )
      const gasPerPayment = receipts.reduce((sum, receipt) => sum + receipt.gasUsed, 0n) / 39n
      console.info(`batched gas per payment: ${gasPerPayment}`)
      expect(gasPerPayment).toBeLessThan(80_000n)
    } finally {
      await peer.close()
    }
  }, 40_000)
})

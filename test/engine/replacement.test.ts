/**
 * Stuck settlements on a real anvil: with mining paused, a submitted settlement is replaced at the
 * same nonce with higher fees; after the base fee jumps and mining resumes, the replacement lands
 * within the bound and never above the fee cap. A cap too low to bump any more leaves it pending.
 */
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type Fixture, startFixture } from '../facilitator/fixture.ts'

const gwei = 10n ** 9n
const cap = 100n * gwei
let f: Fixture
beforeAll(async () => {
  f = await startFixture({ replaceAfterMs: 600, receiptTimeoutMs: 25_000, fees: { ttlMs: 100, maxFeePerGas: cap } })
})
afterAll(async () => {
  await f?.chain.testClient.setIntervalMining({ interval: 1 }).catch(() => undefined)
  await f?.stop()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function pause() {
  await f.chain.testClient.setAutomine(false)
  await f.chain.testClient.setIntervalMining({ interval: 0 })
}

async function waitForSubmitted(store: Fixture['facilitator']['store']): Promise<Hex> {
  for (let i = 0; i < 100; i++) {
    const [entry] = await store.list({ states: ['submitted'] })
    if (entry?.transaction) return entry.transaction
    await sleep(50)
  }
  throw new Error('no submitted settlement')
}

describe('stuck settlements', () => {
  test('replaced at the same nonce with higher fees, it lands after the base fee jumps, never above the cap', async () => {
    await pause()
    const payload = await f.sign(f.chain.accounts.payers[0])
    const answer = f.post('/settle', f.bodyV2(payload))
    const first = await waitForSubmitted(f.facilitator.store)
    const original = await f.chain.publicClient.getTransaction({ hash: first })
    await sleep(1_500) // a replacement or two while nothing is mined

    // The next block's base fee is far above what the pending transaction offers.
    const baseFee = 20n * gwei
    expect(original.maxFeePerGas ?? 0n).toBeLessThan(baseFee)
    await f.chain.setBaseFee(baseFee)
    const resumed = Date.now()
    await f.chain.testClient.setIntervalMining({ interval: 1 })
    const { json } = await answer
    const landedAfterMs = Date.now() - resumed
    console.info(
      `stuck settlement landed ${landedAfterMs} ms after mining resumed at a ${baseFee / gwei} gwei base fee`,
    )
    expect(json.success).toBe(true)
    const hash = json.transaction as Hex
    expect(hash).not.toBe(first)
    expect(landedAfterMs).toBeLessThan(8_000)
    const [landed, receipt] = await Promise.all([
      f.chain.publicClient.getTransaction({ hash }),
      f.chain.publicClient.getTransactionReceipt({ hash }),
    ])
    expect(landed.nonce).toBe(original.nonce)
    expect(landed.maxFeePerGas ?? 0n).toBeLessThanOrEqual(cap)
    expect(landed.maxFeePerGas ?? 0n).toBeGreaterThanOrEqual(baseFee)
    expect(receipt.effectiveGasPrice).toBeLessThanOrEqual(cap)
    const [entry] = await f.facilitator.store.list({ states: ['settled'] })
    expect(entry).toMatchObject({ transaction: hash, blockNumber: receipt.blockNumber })
    // The original never landed.
    expect(await f.chain.publicClient.getTransactionReceipt({ hash: first }).catch(() => null)).toBeNull()
  }, 40_000)

  test('at the cap the bump stops: the payment stays pending with its hash, never above the cap', async () => {
    const signer = f.chain.accounts.payers[7]
    await pause()
    // Our first offer is 2 x base fee + tip (nothing is mined while paused): room for two bumps.
    const [block, tip] = await Promise.all([
      f.chain.publicClient.getBlock(),
      f.chain.publicClient.estimateMaxPriorityFeePerGas(),
    ])
    const lowCap = ((2n * (block.baseFeePerGas ?? 0n) + tip) * 13n) / 10n
    const peer = f.peer({
      account: signer,
      replaceAfterMs: 400,
      receiptTimeoutMs: 4_000,
      fees: { ttlMs: 100, maxFeePerGas: lowCap },
    })
    try {
      const payload = await f.sign(f.chain.accounts.payers[1])
      const answer = peer.post('/settle', f.bodyV2(payload))
      const first = await waitForSubmitted(peer.facilitator.store)
      const original = await f.chain.publicClient.getTransaction({ hash: first })
      const { json } = await answer
      expect(json).toMatchObject({ success: false, errorReason: 'settlement_pending' })
      const pending = await f.chain.publicClient.getTransaction({ hash: json.transaction as Hex })
      // Bumped (+12.5% at least) until the next bump would pass the cap, then left alone.
      expect(json.transaction).not.toBe(first)
      expect(pending.nonce).toBe(original.nonce)
      expect(pending.maxFeePerGas ?? 0n).toBeGreaterThan(((original.maxFeePerGas ?? 0n) * 1125n) / 1000n)
      expect(pending.maxFeePerGas ?? 0n).toBeLessThanOrEqual(lowCap)
      expect(((pending.maxFeePerGas ?? 0n) * 1125n) / 1000n).toBeGreaterThan(lowCap)
      const pool = (await f.chain.testClient.request({ method: 'txpool_content' } as never)) as {
        pending: Record<string, Record<string, { maxFeePerGas: Hex }>>
      }
      const queued = Object.entries(pool.pending).find(
        ([address]) => address.toLowerCase() === signer.address.toLowerCase(),
      )
      for (const tx of Object.values(queued?.[1] ?? {})) expect(BigInt(tx.maxFeePerGas)).toBeLessThanOrEqual(lowCap)

      // Mining resumes: it lands, and asking again answers the landed transaction.
      await f.chain.testClient.setIntervalMining({ interval: 1 })
      const again = await peer.post('/settle', f.bodyV2(payload))
      expect(again.json).toMatchObject({ success: true })
    } finally {
      await f.chain.testClient.setIntervalMining({ interval: 1 })
      await peer.close()
    }
  }, 30_000)
})

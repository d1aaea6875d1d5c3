import { describe, expect, test } from 'vitest'
import { createBatchLoad } from './batchLoad.ts'
import { createSettlementJudge } from './judgeSettlementCost.ts'
import { createLossAllowance } from './lossAllowance.ts'
import type { EstimateSettlementCost } from './settlementCost.ts'
import { gasUsedPerPayment } from './settlementGasUsed.ts'

/** Base's floor: 0.005 gwei base fee and a 0.001 gwei tip, no L1 fee. */
const pricePerGas = 6_000_000n
const cost: EstimateSettlementCost = async (kind, size = 1) => {
  const gasUsed = gasUsedPerPayment(kind, size)
  return { gasUsed, pricePerGas, l1Fee: 0n, total: gasUsed * pricePerGas }
}
const options = { ethPrice: '4000', maxShare: '0.5', batchSize: 100 } as const

describe('createLossAllowance', () => {
  test('behavior: takes within the bucket, refills over the hour, gives back what a sent batch did not lose', () => {
    let now = 0
    const allowance = createLossAllowance({ perHour: 1_000n, holdMs: 60_000, clock: () => now })
    expect(allowance.take('a', 600n)).toBe(true)
    expect(allowance.take('a', 600n)).toBe(true) // the same payment: nothing more
    expect(allowance.take('b', 600n)).toBe(false)
    expect(allowance.available()).toBe(400n)
    allowance.settle(['a'], 100n) // sent: 600 back, 100 lost
    expect(allowance.available()).toBe(900n)
    now = 360_000 // a tenth of an hour: 100 back
    expect(allowance.available()).toBe(1_000n)
    allowance.settle([], 1_500n) // a real loss past the bucket: below zero until refilled
    expect(allowance.take('c', 1n)).toBe(false)
  })

  test('behavior: what a payment never sent holds comes back after holdMs', () => {
    let now = 0
    const allowance = createLossAllowance({ perHour: 1_000n, holdMs: 1_000, clock: () => now })
    expect(allowance.take('released', 1_000n)).toBe(true)
    expect(allowance.take('next', 1n)).toBe(false)
    now = 1_000
    expect(allowance.take('next', 1_000n)).toBe(true)
  })
})

describe('createBatchLoad', () => {
  test('behavior: the payments of the window, each once, this one included, capped', () => {
    let now = 0
    const load = createBatchLoad({ windowMs: 2_000, clock: () => now })
    expect(load.expected('a', 100)).toBe(1)
    for (const id of ['a', 'b', 'c', 'c']) load.arrive(id)
    expect(load.expected('a', 100)).toBe(3)
    expect(load.expected('z', 100)).toBe(4)
    expect(load.expected('z', 2)).toBe(2)
    load.leave('b')
    expect(load.expected('a', 100)).toBe(2)
    now = 2_000
    expect(load.expected('a', 100)).toBe(1)
  })
})

describe('createSettlementJudge', () => {
  test('default: alone when it pays for a transaction, batched when the recent load pays for its part', async () => {
    const { judge } = createSettlementJudge({ cost }, { ...options, clock: () => 0 })
    expect(await judge({ id: 'big', kind: 'eoa', amount: 10_000n, decimals: 6 })).toEqual({ ok: true, batched: false })
    // $0.001 needs about 27 payments to a batch at the floor: a burst of 40 makes it.
    const burst = Array.from({ length: 40 }, (_, i) => judge({ id: `p${i}`, kind: 'eoa', amount: 1_000n, decimals: 6 }))
    const verdicts = await Promise.all(burst)
    expect(verdicts.every((verdict) => verdict.ok && verdict.batched)).toBe(true)
  })

  test('behavior: a lone small payment is refused without an allowance, and risked within one', async () => {
    const strict = createSettlementJudge({ cost }, { ...options, clock: () => 0 })
    const refused = await strict.judge({ id: 'lone', kind: 'eoa', amount: 1_000n, decimals: 6 })
    expect(refused).toMatchObject({ ok: false, code: 'amount_too_low' })
    expect(refused.ok ? '' : refused.message).toMatch(/At the recent load \(1 payment\(s\) to batch within 2000 ms\)/)
    expect(refused.ok ? '' : refused.message).toMatch(/a price of at least 1819 atomic units pays for that/)

    const lenient = createSettlementJudge({ cost }, { ...options, maxLossPerHour: 1_000n, clock: () => 0 })
    expect(await lenient.judge({ id: 'lone', kind: 'eoa', amount: 1_000n, decimals: 6 })).toEqual({
      ok: true,
      batched: true,
    })
    // 818 of 1,000 risked on the first: the second lone payment does not fit.
    expect((await lenient.judge({ id: 'other', kind: 'eoa', amount: 999n, decimals: 6 })).ok).toBe(false)
    // Sent alone, it lost 819 (the cost rounded up): counted, the allowance charged.
    expect(await lenient.sent({ ids: ['lone'], amounts: [1_000n], decimals: 6 })).toEqual({
      payments: 1,
      cost: 1_819n,
      value: 1_000n,
      loss: 819n,
    })
    // Measured from the receipt: the cost is what the transaction spent (50 payments, 2,080,711 gas at the floor).
    const fifty = Array<bigint>(50).fill(1_000n)
    expect(await lenient.sent({ ids: [], amounts: fifty, decimals: 6, costWei: 2_080_711n * pricePerGas })).toBe(
      undefined,
    )
    expect(await lenient.sent({ ids: [], amounts: fifty, decimals: 6, costWei: 2_100_000n * pricePerGas })).toEqual({
      payments: 50,
      cost: 50_400n,
      value: 50_000n,
      loss: 400n,
    })
  })

  test('behavior: the verdict of /verify holds at /settle, and a batch waits for the payments it expects', async () => {
    let now = 0
    const judged = createSettlementJudge({ cost }, { ...options, maxLossPerHour: 1_000n, clock: () => now })
    await judged.judge({ id: 'a', kind: 'eoa', amount: 1_000n, decimals: 6 })
    expect(judged.expecting()).toBe(1)
    now = 5_000 // the window has passed: the load is gone, the allowance refilled a little
    expect(await judged.judge({ id: 'a', kind: 'eoa', amount: 1_000n, decimals: 6 })).toEqual({
      ok: true,
      batched: true,
    })
    expect(judged.expecting()).toBe(0) // expected within the window only
    await judged.judge({ id: 'b', kind: 'eoa', amount: 1_000n, decimals: 6 })
    judged.queued('b')
    expect(judged.expecting()).toBe(0)
  })

  test('behavior: a payment no full batch pays for is refused, naming both costs', async () => {
    const { judge } = createSettlementJudge({ cost }, { ...options, maxLossPerHour: 1_000_000n })
    const verdict = await judge({ id: 'tiny', kind: 'eoa', amount: 500n, decimals: 6 })
    expect(verdict).toMatchObject({ ok: false, code: 'amount_too_low' })
    expect(verdict.ok ? '' : verdict.message).toMatch(/In a batch of 100 it would cost about 962 atomic units/)
  })
})

import type { VerifiedSignature } from '@tollgate/evm'
import { type CreateGasPolicyOptions, createGasPolicy } from './createGasPolicy.ts'
import type { EstimateSettlementCost } from './settlementCost.ts'

/** How a payment is settled, or why it is not; see {@link createSettlementJudge}. */
export type SettlementVerdict =
  /** Worth settling: alone, or (`batched`) only in a Multicall3 batch with others. */
  { ok: true; batched: boolean } | { ok: false; code: 'amount_too_low'; message: string }

/** Judges one payment's settlement cost; see {@link createSettlementJudge}. */
export type SettlementJudge = (parameters: {
  kind: VerifiedSignature['kind']
  amount: bigint
  decimals: number
}) => Promise<SettlementVerdict>

/** Whether a batch of payments pays for its own transaction. */
export type BatchCovers = (parameters: { amounts: readonly bigint[]; decimals: number }) => Promise<boolean>

/**
 * The gas policy over the honest cost: a payment whose settlement alone costs at most `maxShare` of
 * its value settles alone; else, for an EOA payment when batches are possible (`batchSize` ≥ 2), its
 * part of a batch of `batchSize` must cost at most `maxBatchedShare` (default `"1"`) of its value, and
 * it is settled batched; else `amount_too_low`, naming the estimated cost and the price it needs.
 * `covers` tells whether a batch about to be sent pays for itself at `maxBatchedShare`.
 *
 * @example
 * import { createSettlementJudge } from './judgeSettlementCost.ts'
 * const { judge } = createSettlementJudge({ cost }, { ethPrice: '4000', maxShare: '0.5', batchSize: 100 })
 * const verdict = await judge({ kind: 'eoa', amount: 1_000n, decimals: 6 })
 */
export function createSettlementJudge(
  { cost }: { cost: EstimateSettlementCost },
  { ethPrice, maxShare, maxBatchedShare = '1', batchSize }: CreateGasPolicyOptions & { batchSize: number },
): { judge: SettlementJudge; covers: BatchCovers } {
  const alone = createGasPolicy({ ethPrice, maxShare })
  const batched = createGasPolicy({ ethPrice, maxShare: maxBatchedShare })
  const judge: SettlementJudge = async ({ kind, amount, decimals }) => {
    const single = await cost(kind, 1)
    const verdict = alone({
      amount,
      decimals,
      gas: single.gasUsed,
      maxFeePerGas: single.pricePerGas,
      l1Fee: single.l1Fee,
    })
    if (verdict.ok) return { ok: true, batched: false }
    if (kind !== 'eoa' || batchSize < 2) return verdict
    const shared = await cost(kind, batchSize)
    const inBatch = batched({
      amount,
      decimals,
      gas: shared.gasUsed,
      maxFeePerGas: shared.pricePerGas,
      l1Fee: shared.l1Fee,
    })
    if (inBatch.ok) return { ok: true, batched: true }
    return {
      ok: false,
      code: 'amount_too_low',
      message: `${verdict.message} In a batch of ${batchSize} it would cost about ${inBatch.cost} atomic units, more than ${maxBatchedShare} of it; a price of at least ${inBatch.needed} atomic units pays for that.`,
    }
  }
  const covers: BatchCovers = async ({ amounts, decimals }) => {
    const { total } = await cost('eoa', amounts.length)
    const sum = amounts.reduce((all, amount) => all + amount, 0n)
    const n = BigInt(amounts.length)
    // Each payment's share of the batch, judged on the batch's average payment.
    return batched({ amount: sum / n, decimals, gas: 1n, maxFeePerGas: total }).ok
  }
  return { judge, covers }
}

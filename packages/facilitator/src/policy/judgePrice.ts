import type { Client } from 'viem'
import { createFeeOracle } from '../engine/createFeeOracle.ts'
import { type CreateGasPolicyOptions, createGasPolicy } from './createGasPolicy.ts'
import { createL1FeeOracle } from './l1Fee.ts'
import { createSettlementCost, type EstimateSettlementCost } from './settlementCost.ts'

/** How a price fares against what settling it costs now; see {@link judgePrice}. */
export type PriceEconomics = {
  /** `alone`: pays for its own transaction; `batched`: only for its part of a batch; `refused`: neither. */
  mode: 'alone' | 'batched' | 'refused'
  /** One EOA payment settled alone, in the asset's atomic units. */
  aloneCost: bigint
  /** The smallest price settled alone (the cost within `maxShare`). */
  aloneNeeded: bigint
  /** One payment's part of a full batch of `batchSize`, in the asset's atomic units. */
  batchedCost: bigint
  /** The smallest price settled batched (the part within `maxBatchedShare`). */
  batchedNeeded: bigint
  batchSize: number
}

/**
 * Judges a route's price (an EOA payment of `amount`) by the gas policy's rule at current fees: alone,
 * only batched (its part of a full batch of `batchSize`), or refused, with the cost of each mode and the
 * price each needs. For the seller: at the service's start and in `tollgate-facilitator doctor`.
 *
 * @example
 * import { judgePrice } from './judgePrice.ts'
 * const economics = await judgePrice(cost, { ethPrice: '4000', maxShare: '0.5', batchSize: 100 }, { amount: 1_000n, decimals: 6 })
 * economics.mode // 'batched' at Base's floor
 */
export async function judgePrice(
  cost: EstimateSettlementCost,
  { ethPrice, maxShare, maxBatchedShare = '1', batchSize }: CreateGasPolicyOptions & { batchSize: number },
  { amount, decimals }: { amount: bigint; decimals: number },
): Promise<PriceEconomics> {
  const alone = createGasPolicy({ ethPrice, maxShare })
  const batched = createGasPolicy({ ethPrice, maxShare: maxBatchedShare })
  const size = Math.max(1, batchSize)
  const [single, shared] = await Promise.all([cost('eoa', 1), cost('eoa', size)])
  // Judged at a price of 0, the rule answers the cost and the price it needs.
  const figures = (policy: typeof alone, { gasUsed, pricePerGas, l1Fee }: typeof single) => {
    const verdict = policy({ amount: 0n, decimals, gas: gasUsed, maxFeePerGas: pricePerGas, l1Fee })
    return verdict.ok ? { cost: 0n, needed: 0n } : { cost: verdict.cost, needed: verdict.needed }
  }
  const a = figures(alone, single)
  const b = figures(batched, shared)
  const mode = amount >= a.needed ? 'alone' : size >= 2 && amount >= b.needed ? 'batched' : 'refused'
  return {
    mode,
    aloneCost: a.cost,
    aloneNeeded: a.needed,
    batchedCost: b.cost,
    batchedNeeded: b.needed,
    batchSize: size,
  }
}

/**
 * What settling costs now on the chain of `client`, read as a facilitator would pay it (the base fee,
 * the node's tip capped at `maxPriorityFeePerGas`, the L1 data fee), for a process that settles
 * nothing itself (`tollgate-facilitator doctor`).
 */
export function readSettlementCost(
  client: Client,
  { maxPriorityFeePerGas }: { maxPriorityFeePerGas?: bigint } = {},
): EstimateSettlementCost {
  const fees = createFeeOracle(client, maxPriorityFeePerGas === undefined ? {} : { maxPriorityFeePerGas })
  return createSettlementCost({
    gasPrice: async () => {
      const [{ maxPriorityFeePerGas: tip }, baseFeePerGas] = await Promise.all([
        fees(),
        fees.baseFeePerGas?.() ?? Promise.resolve(0n),
      ])
      return { baseFeePerGas, maxPriorityFeePerGas: tip }
    },
    l1Fee: createL1FeeOracle(client),
  })
}

import type { VerifiedSignature } from '@tollgate/evm'
import type { L1FeeOracle } from './l1Fee.ts'
import { gasUsedPerPayment, settlementBytes } from './settlementGasUsed.ts'

/** What one payment's settlement is expected to cost the facilitator, in wei. */
export type SettlementCost = {
  /** Gas used per payment (measured, not the limit). */
  gasUsed: bigint
  /** What each gas unit costs: the current base fee plus the tip the facilitator pays. */
  pricePerGas: bigint
  /** The payment's share of the L1 data fee (`0n` on a chain without one). */
  l1Fee: bigint
  /** `gasUsed × pricePerGas + l1Fee`. */
  total: bigint
}

/** The expected cost of one payment settled alone (`size` 1) or in a batch of `size`; see {@link createSettlementCost}. */
export type EstimateSettlementCost = (kind: VerifiedSignature['kind'], size?: number) => Promise<SettlementCost>

/** The fees a settlement pays now: the base fee and the tip (as the fee oracle reads them, capped). */
export type CurrentGasPrice = () => Promise<{ baseFeePerGas: bigint; maxPriorityFeePerGas: bigint }>

/**
 * The honest cost of a settlement: measured gas used per signature kind and batch size
 * ({@link gasUsedPerPayment}), times the base fee plus the tip actually paid, plus the payment's share
 * of the L1 data fee. The worst case (gas limit × `maxFeePerGas`) only caps what a transaction may
 * spend; this is what it is expected to spend.
 *
 * @example
 * import { createSettlementCost } from './settlementCost.ts'
 * const cost = createSettlementCost({ gasPrice, l1Fee })
 * const { total } = await cost('eoa', 50)
 */
export function createSettlementCost({
  gasPrice,
  l1Fee,
}: {
  gasPrice: CurrentGasPrice
  l1Fee: L1FeeOracle
}): EstimateSettlementCost {
  return async function settlementCost(kind, size = 1) {
    const batched = kind === 'eoa' && size > 1
    const n = BigInt(batched ? size : 1)
    const bytes = batched
      ? (settlementBytes.batchOverhead + n * settlementBytes.batchPerPayment + n - 1n) / n
      : settlementBytes[kind]
    const [{ baseFeePerGas, maxPriorityFeePerGas }, l1] = await Promise.all([gasPrice(), l1Fee(bytes)])
    const gasUsed = gasUsedPerPayment(kind, Number(n))
    const pricePerGas = baseFeePerGas + maxPriorityFeePerGas
    return { gasUsed, pricePerGas, l1Fee: l1, total: gasUsed * pricePerGas + l1 }
  }
}

import type { Facilitator } from '@tollgate/facilitator'
import type { Logger } from './logger.ts'

/** ETH wei as USD micro-units (USDC atomic) at `ethUsd` (a decimal string), rounded up. */
function usdcOf(wei: bigint, ethUsd: string): bigint {
  const [whole = '0', fraction = ''] = ethUsd.split('.')
  const price = BigInt(`${whole}${fraction}`)
  const scale = 10n ** BigInt(fraction.length) * 10n ** 12n
  return (wei * price + scale - 1n) / scale
}

/**
 * Logs, for each network, what one payment costs to settle now, alone and in a batch of the size the
 * policy counts on, in wei and in USDC atomic units at `ethUsd`: the seller sees which prices pay for
 * their settlement. A failed fee read is logged as a warning, never thrown.
 */
export async function logSettlementCosts(
  facilitator: Facilitator,
  { logger, ethUsd }: { logger: Logger; ethUsd: string },
) {
  for (const { network, settlementCost, batchSize } of facilitator.networks.values()) {
    try {
      const [alone, batched] = await Promise.all([settlementCost('eoa', 1), settlementCost('eoa', batchSize)])
      logger.info(
        {
          network,
          alone: { gas: String(alone.gasUsed), wei: String(alone.total), usdc: String(usdcOf(alone.total, ethUsd)) },
          batched: {
            size: batchSize,
            gas: String(batched.gasUsed),
            wei: String(batched.total),
            usdc: String(usdcOf(batched.total, ethUsd)),
          },
          pricePerGas: String(alone.pricePerGas),
        },
        'settlement cost per payment now (usdc in atomic units)',
      )
    } catch (error) {
      logger.warn({ network, err: error }, 'cannot read fees to estimate the settlement cost')
    }
  }
}

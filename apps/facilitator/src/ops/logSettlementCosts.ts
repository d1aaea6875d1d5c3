import { type Facilitator, judgePrice, type PriceEconomics } from '@tollgate/facilitator'
import { findAsset } from '@tollgate/protocol'
import type { ResourceCatalogue } from '../discovery/catalogue.ts'
import type { Logger } from './logger.ts'

/** ETH wei as USD micro-units (USDC atomic) at `ethUsd` (a decimal string), rounded up. */
function usdcOf(wei: bigint, ethUsd: string): bigint {
  const [whole = '0', fraction = ''] = ethUsd.split('.')
  const price = BigInt(`${whole}${fraction}`)
  const scale = 10n ** BigInt(fraction.length) * 10n ** 12n
  return (wei * price + scale - 1n) / scale
}

/** The gas policy as configured: what {@link judgePrice} needs besides the batch size. */
export type GasPolicyFigures = { ethPrice: string; maxShare: string; maxBatchedShare: string }

/** A route's price against its settlement cost, as logged and as doctor prints it. */
export function describePrice(amount: bigint, economics: PriceEconomics): string {
  const { mode, aloneCost, aloneNeeded, batchedCost, batchedNeeded, batchSize } = economics
  const figures = `alone about ${aloneCost} (price needed ${aloneNeeded}), in a batch of ${batchSize} about ${batchedCost} (price needed ${batchedNeeded}) atomic units`
  if (mode === 'refused') {
    return `its price of ${amount} atomic units cannot pay for its settlement at current fees: payments are refused (amount_too_low); settling costs ${figures}`
  }
  return `its price of ${amount} atomic units pays for its settlement only in batches at current fees (a lone payment waits for others, and costs the facilitator more than it brings in): settling costs ${figures}`
}

/**
 * Logs, for each network, what one payment costs to settle now, alone and in a batch of the size the
 * policy counts on, in wei and in USDC atomic units at `ethUsd`; then, with the gas policy on, names each
 * route of the catalogue (the resources settled through this facilitator) whose price cannot pay for its
 * own settlement at current fees, with the figures. A failed fee read is logged as a warning, never thrown.
 */
export async function logSettlementCosts(
  facilitator: Facilitator,
  {
    logger,
    ethUsd,
    gasPolicy,
    catalogue,
  }: { logger: Logger; ethUsd: string; gasPolicy?: GasPolicyFigures | undefined; catalogue?: ResourceCatalogue },
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
  if (!gasPolicy || !catalogue) return
  try {
    const { items } = await catalogue.list({ limit: 1_000, offset: 0 })
    for (const item of items) {
      for (const offer of item.accepts) {
        const chain = facilitator.networks.get(String(offer.network) as never)
        const price = String(offer.amount ?? offer.maxAmountRequired ?? '')
        if (!chain || !/^[0-9]{1,30}$/.test(price)) continue
        const decimals = findAsset(chain.network, String(offer.asset) as never)?.decimals ?? 6
        const amount = BigInt(price)
        const economics = await judgePrice(
          chain.settlementCost,
          { ...gasPolicy, batchSize: chain.batchSize },
          { amount, decimals },
        )
        if (economics.mode === 'alone') continue
        const log = economics.mode === 'refused' ? logger.warn.bind(logger) : logger.info.bind(logger)
        log(
          { network: chain.network, resource: item.resource, mode: economics.mode },
          `route ${item.resource}: ${describePrice(amount, economics)}`,
        )
      }
    }
  } catch (error) {
    logger.warn({ err: error }, 'cannot judge the routes of the catalogue against the settlement cost')
  }
}

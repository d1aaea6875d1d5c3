import { judgePrice, readSettlementCost } from '@tollgate/facilitator'
import { chainIdOf, findAsset } from '@tollgate/protocol'
import { createPublicClient, http } from 'viem'
import { describePrice } from '../ops/logSettlementCosts.ts'
import type { PriceCheck } from './doctor.ts'

/**
 * The price check of `tollgate-facilitator doctor` from the service's environment: each offer on a
 * network with an RPC URL (`TOLLGATE_RPC_URL_<chainId>`) is judged by the gas policy as configured
 * (`TOLLGATE_ETH_USD`, `TOLLGATE_MAX_GAS_SHARE`, `TOLLGATE_MAX_BATCHED_GAS_SHARE`, the tip cap, the
 * batch size) at the chain's current fees: refused is an error, settled only in batches a warning.
 * `undefined` with the gas policy off.
 */
export function priceCheckOf(env: Readonly<Record<string, string | undefined>>): PriceCheck | undefined {
  const maxShare = env.TOLLGATE_MAX_GAS_SHARE?.trim() || '0.5'
  if (maxShare.toLowerCase() === 'off') return undefined
  const policy = {
    ethPrice: env.TOLLGATE_ETH_USD?.trim() || '4000',
    maxShare,
    maxBatchedShare: env.TOLLGATE_MAX_BATCHED_GAS_SHARE?.trim() || '1',
    batchSize: Math.max(2, Number(env.TOLLGATE_BATCH_SIZE ?? '') || 100),
  }
  const tip = /^[0-9]{1,30}$/.test(env.TOLLGATE_MAX_PRIORITY_FEE_PER_GAS ?? '')
    ? BigInt(env.TOLLGATE_MAX_PRIORITY_FEE_PER_GAS as string)
    : 1_000_000n
  const costs = new Map<string, ReturnType<typeof readSettlementCost>>()
  return async function checkPrice({ network, asset, amount }) {
    const chainId = chainIdOf(network as never)
    const url = chainId === undefined ? undefined : env[`TOLLGATE_RPC_URL_${chainId}`]
    if (!url || !/^[0-9]{1,30}$/.test(amount)) return undefined
    let cost = costs.get(network)
    if (!cost) {
      cost = readSettlementCost(createPublicClient({ transport: http(url, { retryCount: 1, timeout: 10_000 }) }), {
        maxPriorityFeePerGas: tip,
      })
      costs.set(network, cost)
    }
    const decimals = findAsset(network as never, asset as never)?.decimals ?? 6
    const price = BigInt(amount)
    const economics = await judgePrice(cost, policy, { amount: price, decimals })
    if (economics.mode === 'alone') return undefined
    return { severity: economics.mode === 'refused' ? 'error' : 'warning', message: describePrice(price, economics) }
  }
}

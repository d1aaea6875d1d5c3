import { RpcUnavailableError } from '@tollgate/evm'
import type { Client } from 'viem'
import { getBlock } from 'viem/actions'
import { type Clock, systemClock } from '../clock.ts'

export type Fees = { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }

/** Current EIP-1559 fees for a settlement transaction; see {@link createFeeOracle}. */
export type FeeOracle = () => Promise<Fees>

export type CreateFeeOracleOptions = {
  /** How long one reading is reused, in milliseconds. Default `2000` (one Base block). */
  ttlMs?: number
  /** Upper bound for `maxFeePerGas`, in wei. Default: none. */
  maxFeePerGas?: bigint
  /** Used when the node has no `eth_maxPriorityFeePerGas`. Default `1_000_000n` (0.001 gwei). */
  fallbackPriorityFee?: bigint
  /** Default: the system's monotonic clock. */
  clock?: Clock
}

/**
 * Explicit fees for settlement transactions: `maxFeePerGas = 2 × baseFee + tip`, capped, read at
 * most once per `ttlMs` however many settlements run (one `eth_getBlockByNumber` and one
 * `eth_maxPriorityFeePerGas`), so viem never has to fill or estimate a transaction.
 *
 * @example
 * import { createFeeOracle } from './createFeeOracle.ts'
 * const fees = createFeeOracle(client, { maxFeePerGas: 50_000_000_000n })
 * const { maxFeePerGas, maxPriorityFeePerGas } = await fees()
 * @see chain.md §6 pitfall 5
 */
export function createFeeOracle(
  client: Client,
  {
    ttlMs = 2_000,
    maxFeePerGas: cap,
    fallbackPriorityFee = 1_000_000n,
    clock = systemClock,
  }: CreateFeeOracleOptions = {},
): FeeOracle {
  let cached: { fees: Fees; at: number } | undefined
  let reading: Promise<Fees> | undefined

  const read = async (): Promise<Fees> => {
    try {
      const [block, tip] = await Promise.all([
        getBlock(client, { blockTag: 'latest' }),
        client.request({ method: 'eth_maxPriorityFeePerGas' }).then(BigInt, () => fallbackPriorityFee),
      ])
      const baseFee = block.baseFeePerGas ?? 0n
      let maxFeePerGas = baseFee * 2n + tip
      let maxPriorityFeePerGas = tip
      if (cap !== undefined && maxFeePerGas > cap) maxFeePerGas = cap
      if (maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas
      return { maxFeePerGas, maxPriorityFeePerGas }
    } catch (cause) {
      throw new RpcUnavailableError({ message: 'Cannot read gas fees from the RPC node.', cause })
    }
  }

  return async function fees() {
    if (cached && clock() - cached.at < ttlMs) return cached.fees
    reading ??= read().then(
      (fees) => {
        cached = { fees, at: clock() }
        reading = undefined
        return fees
      },
      (error) => {
        reading = undefined
        throw error
      },
    )
    return reading
  }
}

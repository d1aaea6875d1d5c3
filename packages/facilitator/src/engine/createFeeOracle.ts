import { RpcUnavailableError } from '@tollgate/evm'
import { type Clock, systemClock } from '@tollgate/protocol'
import type { Client } from 'viem'
import { getBlock } from 'viem/actions'

export type Fees = { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }

/**
 * Current EIP-1559 fees for a settlement transaction; see {@link createFeeOracle}. `baseFeePerGas`:
 * the base fee of the same reading (what a transaction pays per gas is that plus the tip).
 */
export type FeeOracle = (() => Promise<Fees>) & { readonly baseFeePerGas?: () => Promise<bigint> }

export type CreateFeeOracleOptions = {
  /** How long one reading is reused, in milliseconds. Default `2000` (one Base block). */
  ttlMs?: number
  /** Upper bound for `maxFeePerGas`, in wei. Default: none. */
  maxFeePerGas?: bigint
  /** Used when the node has no `eth_maxPriorityFeePerGas`. Default `1_000_000n` (0.001 gwei). */
  fallbackPriorityFee?: bigint
  /**
   * Upper bound for the tip, in wei (Base's usual tip is `1_000_000n`, 0.001 gwei; a node may suggest
   * far more, anvil always 1 gwei). Default: none (the node's suggestion).
   */
  maxPriorityFeePerGas?: bigint
  /** Default: the system's monotonic clock. */
  clock?: Clock
}

/**
 * Explicit fees for settlement transactions: `maxFeePerGas = 2 × baseFee + tip`, the tip and the max fee capped, read at
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
    maxPriorityFeePerGas: tipCap,
    clock = systemClock,
  }: CreateFeeOracleOptions = {},
): FeeOracle {
  let cached: { fees: Fees; at: number } | undefined
  let reading: Promise<Fees> | undefined
  let baseFeePerGas = 0n

  const read = async (): Promise<Fees> => {
    try {
      const [block, suggested] = await Promise.all([
        getBlock(client, { blockTag: 'latest' }),
        client.request({ method: 'eth_maxPriorityFeePerGas' }).then(BigInt, () => fallbackPriorityFee),
      ])
      const baseFee = block.baseFeePerGas ?? 0n
      const tip = tipCap !== undefined && suggested > tipCap ? tipCap : suggested
      let maxFeePerGas = baseFee * 2n + tip
      let maxPriorityFeePerGas = tip
      if (cap !== undefined && maxFeePerGas > cap) maxFeePerGas = cap
      if (maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas
      baseFeePerGas = baseFee
      return { maxFeePerGas, maxPriorityFeePerGas }
    } catch (cause) {
      throw new RpcUnavailableError({ message: 'Cannot read gas fees from the RPC node.', cause })
    }
  }

  async function fees(): Promise<Fees> {
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
  return Object.assign(fees, {
    baseFeePerGas: async () => {
      await fees()
      return baseFeePerGas
    },
  })
}

import { type Clock, systemClock } from '@tollgate/protocol'
import type { Address, Client, Hex } from 'viem'
import { encodeFunctionData, parseAbi } from 'viem'
import { call } from 'viem/actions'

/** The OP-stack `GasPriceOracle` predeploy (Base, Optimism): the L1 data fee of a transaction. */
export const gasPriceOracleAddress: Address = '0x420000000000000000000000000000000000000F'

const gasPriceOracleAbi = parseAbi(['function getL1FeeUpperBound(uint256 unsignedTxSize) view returns (uint256)'])

/** The L1 data fee (wei) of a transaction of `bytes` bytes; see {@link createL1FeeOracle}. */
export type L1FeeOracle = (bytes: bigint) => Promise<bigint>

export type CreateL1FeeOracleOptions = {
  /** How long one reading is reused, in ms. Default `12_000` (one L1 block). */
  ttlMs?: number
  /** The size the oracle is asked about; other sizes are scaled from it. Default `1_000n` bytes. */
  referenceBytes?: bigint
  /** Default {@link gasPriceOracleAddress}. */
  address?: Address
  clock?: Clock
}

/**
 * The L1 data fee a chain adds to each transaction, from its `GasPriceOracle`
 * (`getL1FeeUpperBound(referenceBytes)`, read at most once per `ttlMs`, scaled linearly to the size
 * asked). A chain without the predeploy (code absent, or a call that fails) has none: `0n`.
 *
 * @example
 * import { createL1FeeOracle } from './l1Fee.ts'
 * const l1Fee = createL1FeeOracle(client)
 * const wei = await l1Fee(350n)
 */
export function createL1FeeOracle(
  client: Client,
  {
    ttlMs = 12_000,
    referenceBytes = 1_000n,
    address = gasPriceOracleAddress,
    clock = systemClock,
  }: CreateL1FeeOracleOptions = {},
): L1FeeOracle {
  const data = encodeFunctionData({
    abi: gasPriceOracleAbi,
    functionName: 'getL1FeeUpperBound',
    args: [referenceBytes],
  })
  let cached: { fee: bigint; at: number } | undefined
  let reading: Promise<bigint> | undefined
  const read = async (): Promise<bigint> => {
    const answer: Hex | undefined = await call(client, { to: address, data }).then(
      (result) => result.data,
      () => undefined,
    )
    return answer && answer.length >= 66 ? BigInt(answer.slice(0, 66)) : 0n
  }
  return async function l1Fee(bytes) {
    if (!cached || clock() - cached.at >= ttlMs) {
      reading ??= read().finally(() => {
        reading = undefined
      })
      cached = { fee: await reading, at: clock() }
    }
    return (cached.fee * bytes + referenceBytes - 1n) / referenceBytes
  }
}

import type { Address, Hex, LocalAccount } from 'viem'
import { keccak256 } from 'viem'
import type { FeeOracle, Fees } from './createFeeOracle.ts'

/** A transaction the engine sends: a settlement, a batch of them, or a gap filler. */
export type TransactionCall = { to: Address; data: Hex; gas: bigint }

export type Signed = { serialized: Hex; hash: Hex; fees: Fees }

/** Signs the engine's transactions: EIP-1559, value 0, explicit nonce, gas, fees and chain id. */
export type SignTransaction = (nonce: number, call: TransactionCall, fixed?: Fees) => Promise<Signed>

/**
 * Signs locally with `account` at the oracle's current fees (or `fixed` ones), capped at `feeCap`,
 * so viem never fills, estimates or guesses a field.
 */
export function createTransactionSigner({
  account,
  chainId,
  fees,
  feeCap,
}: {
  account: LocalAccount
  chainId: number
  fees: FeeOracle
  feeCap: bigint | undefined
}): SignTransaction {
  return async (nonce, { to, data, gas }, fixed) => {
    let { maxFeePerGas, maxPriorityFeePerGas } = fixed ?? (await fees())
    if (feeCap !== undefined && maxFeePerGas > feeCap) maxFeePerGas = feeCap
    if (maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas
    const serialized = await account.signTransaction({
      type: 'eip1559',
      chainId,
      nonce,
      to,
      data,
      value: 0n,
      gas,
      maxFeePerGas,
      maxPriorityFeePerGas,
    })
    return { serialized, hash: keccak256(serialized), fees: { maxFeePerGas, maxPriorityFeePerGas } }
  }
}

/** At least +12.5% (what nodes require of a replacement), rounded up, plus one wei. */
const bump = (value: bigint) => (value * 1125n + 999n) / 1000n + 1n
const max = (a: bigint, b: bigint) => (a > b ? a : b)

/**
 * Fees for replacing a transaction sent with `stuck`: up by at least 12.5% and to `current` when
 * higher, never above `feeCap`; `undefined` when the cap leaves no valid replacement (nodes refuse
 * one below +12.5% as underpriced), so the transaction stays pending.
 */
export function replacementFees(stuck: Fees, current: Fees, feeCap: bigint | undefined): Fees | undefined {
  let maxFeePerGas = max(bump(stuck.maxFeePerGas), current.maxFeePerGas)
  const maxPriorityFeePerGas = max(bump(stuck.maxPriorityFeePerGas), current.maxPriorityFeePerGas)
  if (feeCap !== undefined && maxFeePerGas > feeCap) maxFeePerGas = feeCap
  if (maxFeePerGas < bump(stuck.maxFeePerGas) || maxPriorityFeePerGas > maxFeePerGas) return undefined
  return { maxFeePerGas, maxPriorityFeePerGas }
}

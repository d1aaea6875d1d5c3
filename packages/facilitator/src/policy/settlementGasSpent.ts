import { eip3009Abi } from '@tollgate/evm'
import { type Address, type Client, type Hex, isAddressEqual, parseEventLogs } from 'viem'
import { getTransactionReceipt } from 'viem/actions'

/** What one settlement transaction spent, from its receipt, and each payment's share of it. */
export type SettlementGasSpent = {
  transaction: Hex
  /** The payments it carried: the `AuthorizationUsed` events in its receipt (of `asset`, when given; at least 1). */
  payments: number
  /** The transaction's gas used. */
  gasUsed: bigint
  /** `gasUsed / payments`, rounded up. */
  gasPerPayment: bigint
  /** What it cost in wei: `gasUsed × effectiveGasPrice`, plus the L1 data fee where the receipt has one. */
  feeWei: bigint
  /** `feeWei / payments`, rounded up. */
  feePerPayment: bigint
}

/**
 * Measures a settlement transaction from its receipt: the gas it used, what that cost (with the
 * OP-stack L1 data fee, `l1Fee` in Base's receipts) and each payment's share, counting the payments
 * as the `AuthorizationUsed` events it emitted (of `asset`, when given). `undefined` when there is no receipt (yet).
 *
 * @example
 * import { readSettlementGasSpent } from './settlementGasSpent.ts'
 * const spent = await readSettlementGasSpent(client, { transaction, asset: usdc })
 * spent?.gasPerPayment // 41_102n in a batch of 50
 */
export async function readSettlementGasSpent(
  client: Client,
  { transaction, asset }: { transaction: Hex; asset?: Address },
): Promise<SettlementGasSpent | undefined> {
  const receipt = await getTransactionReceipt(client, { hash: transaction }).catch(() => undefined)
  if (!receipt) return undefined
  const used = parseEventLogs({ abi: eip3009Abi, eventName: 'AuthorizationUsed', logs: receipt.logs, strict: false })
  const payments = Math.max(1, used.filter((log) => !asset || isAddressEqual(log.address, asset)).length)
  const n = BigInt(payments)
  const l1 = (receipt as { l1Fee?: bigint | null }).l1Fee ?? 0n
  const feeWei = receipt.gasUsed * receipt.effectiveGasPrice + l1
  return {
    transaction,
    payments,
    gasUsed: receipt.gasUsed,
    gasPerPayment: (receipt.gasUsed + n - 1n) / n,
    feeWei,
    feePerPayment: (feeWei + n - 1n) / n,
  }
}

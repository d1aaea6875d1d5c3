import type { Address, Hex } from 'viem'
import { addressWord } from '../encoding/hex.ts'

/** keccak256("Transfer(address,address,uint256)"). */
const transferTopic = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef'

/** A log as JSON-RPC receipts carry it. */
export type RawLog = { address: string; topics: readonly string[]; data: string }

export type HasTransferLogParameters = {
  asset: Address
  from: Address
  to: Address
  value: bigint
}

/**
 * Whether `logs` hold the ERC-20 `Transfer(from, to, value)` that settling this payment must emit,
 * emitted by the asset itself. A successful receipt without it is `invalid_exact_evm_transfer_event_mismatch`.
 *
 * @example
 * import { hasTransferLog } from '@tollgate/evm'
 * if (!hasTransferLog(receipt.logs, { asset, from, to, value })) …
 * @see x402-protocol reference §4.3 step 6
 */
export function hasTransferLog(logs: readonly RawLog[], { asset, from, to, value }: HasTransferLogParameters): boolean {
  const fromTopic = `0x${addressWord(from)}`
  const toTopic = `0x${addressWord(to)}`
  const assetLower = asset.toLowerCase()
  return logs.some(
    (log) =>
      log.address.toLowerCase() === assetLower &&
      log.topics.length === 3 &&
      log.topics[0]?.toLowerCase() === transferTopic &&
      log.topics[1]?.toLowerCase() === fromTopic &&
      log.topics[2]?.toLowerCase() === toTopic &&
      log.data.length === 66 &&
      BigInt(log.data as Hex) === value,
  )
}

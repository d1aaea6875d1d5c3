import {
  BlockNotFoundError,
  type Client,
  type Hex,
  TransactionNotFoundError,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
} from 'viem'
import { getBlock, getTransaction, getTransactionReceipt } from 'viem/actions'

/** A transaction's receipt, or `undefined` while it is not mined (viem throws for that). */
export async function receiptOf(client: Client, hash: Hex): Promise<TransactionReceipt | undefined> {
  try {
    return await getTransactionReceipt(client, { hash })
  } catch (error) {
    if (error instanceof TransactionReceiptNotFoundError) return undefined
    throw error
  }
}

/** Whether the node knows the transaction (pending or mined); throws on a network fault. */
export async function isKnownTransaction(client: Client, hash: Hex): Promise<boolean> {
  try {
    await getTransaction(client, { hash })
    return true
  } catch (error) {
    if (error instanceof TransactionNotFoundError) return false
    throw error
  }
}

/**
 * Whether a receipt is in a sealed block: the chain's block at its number exists and has its hash.
 * A preconfirmation (a Base Flashblock, from a `pending`-tag read or `eth_sendRawTransactionSync`)
 * names a block not sealed yet, or, once dropped, one sealed without it. Throws on a network fault.
 */
export async function isSealed(
  client: Client,
  { blockNumber, blockHash }: { blockNumber: bigint; blockHash?: Hex | undefined },
): Promise<boolean> {
  let block: { hash: Hex | null } | null
  try {
    block = await getBlock(client, { blockNumber })
  } catch (error) {
    if (error instanceof BlockNotFoundError) return false
    throw error
  }
  if (!block?.hash) return false
  return blockHash === undefined || block.hash.toLowerCase() === blockHash.toLowerCase()
}

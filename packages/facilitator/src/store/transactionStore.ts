import type { Address, Hex } from 'viem'
import type { SignerFence } from './leaseStore.ts'

/**
 * A signed settlement transaction, kept (written before it is broadcast) so that it can be broadcast
 * again after a lost send or a restart, and replaced at its nonce, without the payer's help.
 */
export type StoredTransaction = {
  hash: Hex
  chainId: number
  signer: Address
  /** The signer's transaction nonce. */
  nonce: bigint
  /** The signed transaction, serialized (EIP-1559). Anyone may broadcast it; it holds no key. */
  raw: Hex
  /** Seconds since the epoch. */
  createdAt: bigint
}

/**
 * The transaction journal: every signed settlement transaction, kept before it is broadcast, the write
 * fenced by its signer's lease. Adapters pass `transactionConformance` (in `storeConformance`).
 *
 * @see architecture.md (The ledger)
 */
export type TransactionStore = {
  /**
   * Keeps a signed transaction; the same hash again changes nothing. With `fence`, only while the
   * transaction's signer lease is held as the fence says (checked in the same atomic step): `false`
   * and nothing written otherwise, so a node that lost its lease cannot journal (and so cannot
   * broadcast) a transaction. `true` when kept or already kept.
   */
  saveTransaction(transaction: StoredTransaction, options?: { fence?: SignerFence }): Promise<boolean>
  /** A kept transaction by hash (compared case-insensitively). */
  getTransaction(hash: Hex): Promise<StoredTransaction | undefined>
}

/**
 * The settler's contract with its parts (the batch queue, the keeper) and its callers: what is submitted, what
 * comes back, and what is signed and journaled. A leaf: it imports none of the modules that use it.
 */

import type { SettlementPayment } from '@tollgate/evm'
import type { ErrorCode } from '@tollgate/protocol'
import type { Address, Hex } from 'viem'

/** What is recorded before a transaction is broadcast. */
export type SignedSettlement = { hash: Hex; nonce: bigint; signer: Address }

/** A signed transaction as the journal keeps it: `raw` can be broadcast again by anyone. */
export type SignedTransaction = SignedSettlement & { raw: Hex }

/** A transaction an earlier process signed and recorded, taken over after a restart (see `Settler.adopt`). */
export type AdoptedTransaction = {
  /** The signer that signed it. */
  signer: Address
  /** The signed transaction, serialized. */
  raw: Hex
  /** Records a replacement's hash for the payments it settles; absent: the transaction is only sent again, never replaced. */
  record?: (settlement: SignedSettlement) => Promise<void>
}

export type SubmitParameters = SettlementPayment & {
  /**
   * Called with the signed transaction's hash and nonce before it is broadcast (write the ledger's
   * `submitted` here). If it throws, nothing is broadcast and the nonce is reused. Called again
   * with the new hash before a stuck transaction's replacement (same nonce, higher fee) is sent.
   */
  beforeBroadcast: (settlement: SignedSettlement) => Promise<void>
  /** Too small to pay for a transaction alone: settle it in a batch (see `BatchOptions.when`). */
  batched?: boolean
  /** Delivered once broadcast (optimistic delivery): sent with `eth_sendRawTransaction`, never the sync call. */
  optimistic?: boolean
}

export type SubmitResult =
  /** Broadcast (or, after network errors, possibly broadcast): wait for the receipt. */
  | { ok: true; hash: Hex; nonce: bigint }
  /** Nothing is on chain. `hash` is set when `beforeBroadcast` had already recorded one. */
  | { ok: false; code: ErrorCode; message: string; hash?: Hex }

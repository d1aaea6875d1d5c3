import type { ErrorCode, EvmNetwork } from '@tollgate/protocol'
import type { Address, Hex } from 'viem'

/**
 * Where a payment stands. Each transition is written before the action it allows, so a crash at any
 * point leaves a row the reconciler can finish by asking the chain:
 *
 * - `reserved`: verified and held under its authorization id; nothing sent.
 * - `requested`: verified and asked to settle on a node that cannot sign now: handed over, through the
 *   ledger, to a node of the shared ledger that holds a signer (it claims it, as `settling`).
 * - `settling`: one settler has claimed it (written before a transaction is built).
 * - `submitted`: a signed transaction exists (hash and signer nonce written before broadcast).
 * - `preconfirmed`: a receipt was seen, but not yet in a sealed block (a Flashblock preconfirmation, from a
 *   `pending`-tag read or `eth_sendRawTransactionSync`): answered as settled, and delivered, while the
 *   reconciler confirms it in a sealed block (`settled`), sends its journaled transaction again if it was
 *   dropped, or records it `failed` if it reverted there.
 * - `settled` | `failed`: final, with the receipt's block or the failure code.
 * - `expired`: `validBefore` passed while reserved (or while a transaction never landed).
 * - `released`: the resource server did not use the reservation; it may be reserved again.
 *
 * The legal moves and the named functions that make them are in `ledger.ts`.
 *
 * @see architecture.md (The ledger)
 */
export type LedgerState =
  | 'reserved'
  | 'requested'
  | 'settling'
  | 'submitted'
  | 'preconfirmed'
  | 'settled'
  | 'failed'
  | 'expired'
  | 'released'

/** One payment in the ledger, keyed by its authorization id `(chainId, asset, from, nonce)`. */
export type LedgerEntry = {
  /** {@link authorizationId} of the payment. */
  id: string
  state: LedgerState
  network: EvmNetwork
  chainId: number
  asset: Address
  payer: Address
  payTo: Address
  amount: bigint
  /** EIP-3009 nonce (bytes32). */
  nonce: Hex
  validAfter: bigint
  validBefore: bigint
  /**
   * The authorization's EIP-712 digest: a different authorization under the same id is refused,
   * while the same authorization sent again (any signature encoding) is the same payment.
   */
  payloadHash: Hex
  x402Version: 1 | 2
  /**
   * The payer's signature as sent (any kind), kept from the reservation on so that the facilitator
   * can finish a settlement it accepted (a row left `settling`, or given back to `reserved` after
   * `/settle` was asked) without the resource server asking again.
   */
  signature?: Hex
  /** Settlement signer, its transaction nonce and the transaction hash, once `submitted`. */
  signer?: Address
  signerNonce?: bigint
  transaction?: Hex
  /** Block the transaction landed in, once `settled` (or `failed` on chain). */
  blockNumber?: bigint
  errorCode?: ErrorCode
  errorMessage?: string
  /**
   * While `reserved`: the end of the `/verify` lease (seconds). Until then a second `/verify` of the
   * same payload is `authorization_in_use`; absent means no lease is held.
   */
  reservedUntil?: bigint
  /**
   * Digest of the claim of the resource-server request that holds the reservation (Tollgate's
   * `tollgate.claim`): only that request may release it. Absent for a caller that sent no claim.
   */
  holder?: Hex
  /**
   * Once `settled`: digest of the claim of the one resource-server request allowed to deliver the
   * paid content, taken with {@link LedgerStore.swapDelivery}. Absent while nobody has delivered.
   */
  deliveredTo?: Hex
  /**
   * Delivered before its settlement was included (optimistic delivery, see `ExposureStore`): counted
   * as its payer's and payee's exposure until final, a loss if it ends `failed` or `expired`.
   */
  optimistic?: true
  /**
   * Digest of the buyer's `payment-identifier` id scoped to (chain, asset, payer, payTo, amount): another
   * authorization sent under the same id is the same payment (see {@link LedgerStore.findPayment}).
   */
  paymentKey?: Hex
  /** The node (owner id) that claimed this entry for settlement or reconciliation, see {@link LedgerStore.claim}. */
  claimedBy?: string
  /** End of that claim (seconds); once `<= now` another owner may claim the entry. */
  claimedUntil?: bigint
  /** Seconds since the epoch (the facilitator's injected clock). */
  createdAt: bigint
  updatedAt: bigint
}

/** What {@link LedgerStore.reserve} writes: a new entry, always in state `reserved`. */
export type NewLedgerEntry = Omit<
  LedgerEntry,
  | 'state'
  | 'updatedAt'
  | 'signer'
  | 'signerNonce'
  | 'transaction'
  | 'blockNumber'
  | 'errorCode'
  | 'errorMessage'
  | 'claimedBy'
  | 'claimedUntil'
  | 'deliveredTo'
  | 'optimistic'
>

/** Keys a {@link LedgerPatch} may set. */
export const ledgerPatchKeys = [
  'signer',
  'signerNonce',
  'transaction',
  'blockNumber',
  'errorCode',
  'errorMessage',
  'reservedUntil',
  'claimedBy',
  'claimedUntil',
] as const

/** Fields a transition may set (and only these); a key present with `undefined` clears the field. */
export type LedgerPatch = {
  [K in (typeof ledgerPatchKeys)[number]]?: LedgerEntry[K] | undefined
}

export type ReserveResult =
  /**
   * `created`: this call wrote the row (false: it was already reserved with the same payload).
   * `leased`: this call holds the reservation now — it created the row, re-reserved a `released` one,
   * or re-took a `reserved` one whose `reservedUntil` was absent or `<= entry.createdAt`. `false`: another
   * call holds an unexpired lease (`/verify` answers `authorization_in_use`).
   */
  | { ok: true; entry: LedgerEntry; created: boolean; leased: boolean }
  /** A different payload holds the id, or the entry is past `reserved`; `entry` is what holds it. */
  | { ok: false; code: 'authorization_in_use'; entry: LedgerEntry }

export type TransitionParameters = {
  /** States the entry must be in now (compare-and-set). */
  from: readonly LedgerState[]
  to: LedgerState
  patch?: LedgerPatch
  /** Seconds since the epoch, written to `updatedAt`. */
  now: bigint
}

export type TransitionResult =
  | { ok: true; entry: LedgerEntry }
  /** The entry is missing, not in `from`, or `from -> to` is not a ledger transition. */
  | { ok: false; code: 'invalid_transaction_state'; entry: LedgerEntry | undefined }

export type SwapDeliveryParameters = {
  /** What `deliveredTo` must be now (`undefined`: nobody delivered). */
  expected: Hex | undefined
  /** What it becomes (`undefined`: the delivery is given back). */
  next: Hex | undefined
  /** Seconds since the epoch, written to `updatedAt`. */
  now: bigint
}

export type ClaimParameters = {
  /** States an entry must be in to be claimed. */
  states: readonly LedgerState[]
  /** Who claims (a node id); written to `claimedBy`. */
  owner: string
  /** Claim length; `claimedUntil = now + leaseSeconds`. */
  leaseSeconds: bigint
  /** At most this many entries. */
  limit: number
  /** Seconds since the epoch. */
  now: bigint
}

export type ListParameters = {
  states: readonly LedgerState[]
  /** Default `100`. */
  limit?: number
}

/**
 * The ledger port: one row per payment. Every operation is atomic on its own: `reserve` is an
 * insert-if-absent on the authorization id, `transition` a compare-and-set on the state, so concurrent
 * requests (and, for shared databases, concurrent nodes) agree on one winner. Adapters pass
 * `ledgerConformance` and `ledgerMoveConformance` (in `storeConformance`).
 *
 * @see architecture.md (The ledger)
 */
export type LedgerStore = {
  /**
   * Reserves `entry.id`. Same payload already `reserved` (or `released`, which is reserved again):
   * `ok` with `created: false`. Whoever takes the lease writes its `holder` (or clears it). Another payload, or the entry is settling or beyond:
   * `authorization_in_use` with the holder.
   */
  reserve(entry: NewLedgerEntry): Promise<ReserveResult>
  get(id: string): Promise<LedgerEntry | undefined>
  /** Moves an entry from one of `from` to `to`, applying `patch`, if and only if that is allowed. */
  transition(id: string, parameters: TransitionParameters): Promise<TransitionResult>
  /**
   * Compare-and-set on the delivery of a `settled` (or `preconfirmed`) entry: sets `deliveredTo` to
   * `next` if and only if the entry is in one of those states and `deliveredTo` is `expected` now. Of
   * concurrent callers (any node), one wins.
   */
  swapDelivery(id: string, parameters: SwapDeliveryParameters): Promise<TransitionResult>
  /**
   * The newest entry written with `paymentKey` that still stands for the payment: not `failed`,
   * `expired` or `released`. A buyer's retry under the same payment-identifier is answered from it.
   */
  findPayment(paymentKey: Hex): Promise<LedgerEntry | undefined>
  /** Entries in `states`, oldest first: the reconciler's work list. */
  list(parameters: ListParameters): Promise<LedgerEntry[]>
  /**
   * Atomically claims up to `limit` entries in `states` whose claim is free or expired
   * (`claimedUntil` absent or `<= now`), oldest first, writing `claimedBy = owner` and
   * `claimedUntil = now + leaseSeconds` (the state is unchanged). Two concurrent claimers, in one
   * process or across nodes, never get the same entry. `transition` may clear the claim via its patch.
   */
  claim(parameters: ClaimParameters): Promise<LedgerEntry[]>
}

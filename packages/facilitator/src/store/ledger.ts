import type { ErrorCode } from '@tollgate/protocol'
import type { Address, Hex } from 'viem'
import type { LedgerEntry, LedgerPatch, LedgerState, LedgerStore, TransitionResult } from './ledgerStore.ts'

/**
 * The moves of a payment through the ledger, each a named compare-and-set on {@link LedgerStore.transition}.
 * Every state change the engine makes goes through one of these; `ledgerTransitions` is the one
 * table that says which moves are legal, and every Store refuses the others.
 *
 * - `requestSettlement`: `reserved -> requested` (handed over to a node that can sign)
 * - `claimSettlement`: `reserved | requested -> settling`
 * - `recordSubmission`: `settling | submitted -> submitted`
 * - `recordSettled`: `submitted -> settled`, or `submitted -> preconfirmed` for a receipt not yet sealed
 * - `confirmSealed`: `preconfirmed -> settled` (the transaction seen in a sealed block)
 * - `recordFailed`: `settling | submitted | preconfirmed -> failed`
 * - `giveBack`: `requested | settling | submitted | preconfirmed -> reserved`
 * - `expire`: `reserved | requested | submitted | preconfirmed -> expired`
 * - `releaseReservation`: `reserved -> released` (and {@link LedgerStore.reserve} takes a released row again)
 * - `recordSpentNonce`: the walk of a payment whose nonce was spent on chain, from any state
 *
 * Final moves (`settled`, `failed`, `expired`) and `giveBack` also free a reconciler's claim.
 *
 * @see architecture.md (The ledger)
 */
export const ledgerTransitions: Readonly<Record<LedgerState, readonly LedgerState[]>> = {
  reserved: ['requested', 'settling', 'released', 'expired'],
  // Handed over: claimed by a node that can sign, given back (it no longer verifies), or expired.
  requested: ['settling', 'reserved', 'expired'],
  // `settling -> reserved`: the claim is given back before anything was signed or sent.
  settling: ['submitted', 'failed', 'reserved'],
  // `submitted -> submitted`: a replacement (new hash) is recorded before it is broadcast.
  // `submitted -> reserved`: the node refused the transaction outright, so nothing is on chain.
  submitted: ['submitted', 'preconfirmed', 'settled', 'failed', 'expired', 'reserved'],
  // A preconfirmation is not final: sealed (`settled`), reverted in the sealed block (`failed`), or
  // dropped and unable to land as signed (`reserved`, settled again; `expired` past `validBefore`).
  preconfirmed: ['settled', 'failed', 'reserved', 'expired'],
  settled: [],
  failed: [],
  expired: [],
  released: ['reserved'],
}

/** Whether `from -> to` is a ledger transition. */
export function canTransition(from: LedgerState, to: LedgerState): boolean {
  return ledgerTransitions[from].includes(to)
}

/** When a move happens: seconds since the epoch, written to `updatedAt`. */
type At = { now: bigint }

const freeClaim = { claimedBy: undefined, claimedUntil: undefined } satisfies LedgerPatch

/**
 * `reserved | requested -> settling`: one settler claims the payment before it builds a transaction (one wins).
 * `owner` (a node's stable id on a shared ledger) is written to `claimedBy`, so that the same node
 * restarted knows the rows its dead process left `settling` (nothing of them was sent).
 */
export function claimSettlement(
  store: LedgerStore,
  id: string,
  { now, owner }: At & { owner?: string | undefined },
): Promise<TransitionResult> {
  return store.transition(id, {
    from: ['reserved', 'requested'],
    to: 'settling',
    ...(owner === undefined ? {} : { patch: { claimedBy: owner } }),
    now,
  })
}

/**
 * `reserved -> requested`: a verified payment asked to settle on a node that cannot sign now, handed
 * over through the ledger to a node that can. The `/verify` lease and any claim are cleared: the row
 * is the settlement's now, whoever holds a signer.
 */
export function requestSettlement(store: LedgerStore, id: string, { now }: At): Promise<TransitionResult> {
  return store.transition(id, {
    from: ['reserved'],
    to: 'requested',
    patch: { ...freeClaim, reservedUntil: undefined },
    now,
  })
}

/** A signed settlement transaction: its hash, the signer and the signer's nonce. */
export type Submission = { transaction: Hex; signer?: Address | undefined; signerNonce?: bigint | undefined }

/**
 * `settling -> submitted`, or `submitted -> submitted` for a replacement (same nonce, new hash):
 * written before the transaction is broadcast, so a crash after it leaves a row the chain can finish.
 * `replacing: true` allows only the replacement (a row already submitted).
 */
export function recordSubmission(
  store: LedgerStore,
  id: string,
  { transaction, signer, signerNonce }: Submission,
  { now, replacing = false }: At & { replacing?: boolean },
): Promise<TransitionResult> {
  const patch: LedgerPatch = { transaction }
  if (signer !== undefined) patch.signer = signer
  if (signerNonce !== undefined) patch.signerNonce = signerNonce
  return store.transition(id, {
    from: replacing ? ['submitted'] : ['settling', 'submitted'],
    to: 'submitted',
    patch,
    now,
  })
}

/** Where a payment landed: the block, and the hash that landed when it is not the one recorded. */
export type Landing = { blockNumber: bigint; transaction?: Hex | undefined }

/**
 * `submitted -> settled` with the block the payment landed in, and the hash that landed when it is
 * not the one recorded (a replacement's, or another sender's). `preconfirmed: true` (a receipt not
 * yet in a sealed block): `submitted -> preconfirmed` instead, for {@link confirmSealed} to finish.
 */
export function recordSettled(
  store: LedgerStore,
  id: string,
  { blockNumber, transaction, preconfirmed = false }: Landing & { preconfirmed?: boolean | undefined },
  { now }: At,
): Promise<TransitionResult> {
  const patch: LedgerPatch = { ...freeClaim, blockNumber }
  if (transaction !== undefined) patch.transaction = transaction
  return store.transition(id, { from: ['submitted'], to: preconfirmed ? 'preconfirmed' : 'settled', patch, now })
}

/** `preconfirmed -> settled`: the payment's transaction seen in a sealed block (its block written). */
export function confirmSealed(
  store: LedgerStore,
  id: string,
  { blockNumber, transaction }: Landing,
  { now }: At,
): Promise<TransitionResult> {
  const patch: LedgerPatch = { ...freeClaim, blockNumber }
  if (transaction !== undefined) patch.transaction = transaction
  return store.transition(id, { from: ['preconfirmed'], to: 'settled', patch, now })
}

/** Why a payment failed for good, and what of it reached the chain. */
export type Failure = {
  errorCode: ErrorCode
  errorMessage?: string | undefined
  blockNumber?: bigint | undefined
  transaction?: Hex | undefined
}

/**
 * `settling | submitted | preconfirmed -> failed` (`from`): final, with the code every later answer
 * carries. From `preconfirmed`: answered settled on a preconfirmation that reverted in the sealed block.
 */
export function recordFailed(
  store: LedgerStore,
  id: string,
  from: 'settling' | 'submitted' | 'preconfirmed',
  { errorCode, errorMessage, blockNumber, transaction }: Failure,
  { now }: At,
): Promise<TransitionResult> {
  const patch: LedgerPatch = { ...freeClaim, errorCode }
  if (errorMessage !== undefined) patch.errorMessage = errorMessage
  if (blockNumber !== undefined) patch.blockNumber = blockNumber
  if (transaction !== undefined) patch.transaction = transaction
  return store.transition(id, { from: [from], to: 'failed', patch, now })
}

/**
 * `settling | submitted -> reserved` (`from`): nothing of it reached or can reach the chain, so the
 * payment may be settled again. The submission, the `/verify` lease and any claim are cleared: a row
 * given back after `/settle` was asked is the one a reconciler finishes (`reservedUntil` absent).
 */
export function giveBack(
  store: LedgerStore,
  id: string,
  from: readonly ('requested' | 'settling' | 'submitted' | 'preconfirmed')[],
  { now }: At,
): Promise<TransitionResult> {
  return store.transition(id, {
    from,
    to: 'reserved',
    patch: {
      ...freeClaim,
      transaction: undefined,
      signer: undefined,
      signerNonce: undefined,
      reservedUntil: undefined,
    },
    now,
  })
}

/** `reserved | requested | submitted | preconfirmed -> expired` (`from`): `validBefore` passed and nothing of it landed. */
export function expire(
  store: LedgerStore,
  id: string,
  from: 'reserved' | 'requested' | 'submitted' | 'preconfirmed',
  { now }: At,
): Promise<TransitionResult> {
  return store.transition(id, { from: [from], to: 'expired', patch: freeClaim, now })
}

/** `reserved -> released`: the resource server did not use the reservation; it may be reserved again. */
export function releaseReservation(store: LedgerStore, id: string, { now }: At): Promise<TransitionResult> {
  return store.transition(id, { from: ['reserved'], to: 'released', patch: { reservedUntil: undefined }, now })
}

/** How a payment's nonce was spent on chain: by a transaction that moved exactly this payment, or otherwise. */
export type SpentNonce = { paid: true; hash: Hex; blockNumber: bigint } | { paid: false; errorMessage: string }

/**
 * Walks a payment whose nonce was spent on chain to its final state, from wherever its row stands:
 * `settled` with the spending transaction when that moved exactly this payment, else `failed` with
 * `invalid_exact_evm_nonce_already_used` (the payee got nothing, and this payment can never land).
 * Every step is one of the moves above. Answers the row as it stands after, and `done` when this
 * call made the last move; a row another node moved meanwhile is read back, never overwritten.
 */
export async function recordSpentNonce(
  store: LedgerStore,
  entry: LedgerEntry,
  spent: SpentNonce,
  at: At,
): Promise<{ done: boolean; entry: LedgerEntry }> {
  const { id } = entry
  const steps: Partial<Record<LedgerState, () => Promise<TransitionResult>>> = spent.paid
    ? {
        reserved: () => claimSettlement(store, id, at),
        requested: () => claimSettlement(store, id, at),
        settling: () => recordSubmission(store, id, { transaction: spent.hash }, at),
        submitted: () => recordSettled(store, id, { transaction: spent.hash, blockNumber: spent.blockNumber }, at),
        preconfirmed: () => confirmSealed(store, id, { transaction: spent.hash, blockNumber: spent.blockNumber }, at),
      }
    : {
        reserved: () => claimSettlement(store, id, at),
        requested: () => claimSettlement(store, id, at),
        settling: () => recordFailed(store, id, 'settling', nonceUsed(spent.errorMessage), at),
        submitted: () => recordFailed(store, id, 'submitted', nonceUsed(spent.errorMessage), at),
        preconfirmed: () => recordFailed(store, id, 'preconfirmed', nonceUsed(spent.errorMessage), at),
      }
  let current = entry
  let done = false
  for (let step = steps[current.state]; step; step = steps[current.state]) {
    const moved = await step()
    if (!moved.ok) return { done: false, entry: (await store.get(id)) ?? current }
    current = moved.entry
    done = current.state === 'settled' || current.state === 'failed'
  }
  return { done, entry: current }
}

const nonceUsed = (errorMessage: string): Failure => ({
  errorCode: 'invalid_exact_evm_nonce_already_used',
  errorMessage,
})

/** The message of a nonce the payer spent on another transaction. */
export const spentElsewhere = (hash: Hex) => `The payer spent this nonce in ${hash}, which did not move this payment.`

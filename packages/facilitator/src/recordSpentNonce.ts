import type { Hex } from 'viem'
import type { LedgerEntry, LedgerPatch, LedgerState, Store } from './store.ts'

/** How a payment's nonce was spent on chain: by a transaction that moved exactly this payment, or otherwise. */
export type SpentNonce = { paid: true; hash: Hex; blockNumber: bigint } | { paid: false; errorMessage: string }

/**
 * Walks a payment whose nonce was spent on chain to its final state, from wherever its row stands:
 * `settled` with the spending transaction when that moved exactly this payment, else `failed` with
 * `invalid_exact_evm_nonce_already_used` (the payee got nothing, and this payment can never land).
 * Every step is a compare-and-set; `patch` goes with the last one (the reconciler frees its claim
 * there). Answers the row as it stands after, and `done` when this call made the last move.
 */
export async function recordSpentNonce(
  store: Store,
  entry: LedgerEntry,
  spent: SpentNonce,
  { now, patch = {} }: { now: bigint; patch?: LedgerPatch },
): Promise<{ done: boolean; entry: LedgerEntry }> {
  const steps: [LedgerState, LedgerState, LedgerPatch][] = spent.paid
    ? [
        ['reserved', 'settling', {}],
        ['settling', 'submitted', { transaction: spent.hash }],
        ['submitted', 'settled', { ...patch, transaction: spent.hash, blockNumber: spent.blockNumber }],
      ]
    : [
        ['reserved', 'settling', {}],
        [
          'settling',
          'failed',
          { ...patch, errorCode: 'invalid_exact_evm_nonce_already_used', errorMessage: spent.errorMessage },
        ],
        [
          'submitted',
          'failed',
          { ...patch, errorCode: 'invalid_exact_evm_nonce_already_used', errorMessage: spent.errorMessage },
        ],
      ]
  let current = entry
  let done = false
  for (const [from, to, stepPatch] of steps) {
    if (current.state !== from) continue
    const moved = await store.transition(entry.id, { from: [from], to, patch: stepPatch, now })
    if (!moved.ok) return { done: false, entry: (await store.get(entry.id)) ?? current }
    current = moved.entry
    done = to === 'settled' || to === 'failed'
  }
  return { done, entry: current }
}

/** The message of a nonce the payer spent on another transaction. */
export const spentElsewhere = (hash: Hex) => `The payer spent this nonce in ${hash}, which did not move this payment.`

import { hasTransferLog } from '@tollgate/evm'
import type { SettleResponse } from '@tollgate/protocol'
import { findPaymentUse, isAuthorizationUsedIn, type PaymentUse } from './authorizationUse.ts'
import type { Facilitator, FacilitatorNetwork } from './createFacilitator.ts'
import { recordFailed, recordSettled, recordSpentNonce, type SpentNonce, spentElsewhere } from './ledger.ts'
import type { ExactPaymentRequest } from './parseFacilitatorRequest.ts'
import type { LedgerEntry } from './store.ts'

/*
 * The outcome of a payment already claimed for settlement, as the ledger records it: the answer
 * built from a row, the wait for a submitted transaction's receipt, and the wait for another
 * settler's outcome.
 */

const pollMs = 50

/** The answer for a ledger entry: every answer about one authorization is built from its row. */
export function responseOf(request: ExactPaymentRequest, entry: LedgerEntry): SettleResponse {
  const base = { payer: entry.payer, transaction: entry.transaction ?? '', network: request.network }
  switch (entry.state) {
    case 'settled':
      return { success: true, ...base }
    case 'failed':
      return {
        success: false,
        errorReason: entry.errorCode ?? 'unexpected_settle_error',
        ...(entry.errorMessage ? { errorMessage: entry.errorMessage } : {}),
        ...base,
      }
    case 'expired':
      return { success: false, errorReason: 'invalid_exact_evm_payload_authorization_valid_before', ...base }
    default:
      // submitted (broadcast, receipt not seen in time) or still settling elsewhere: do not pay again.
      return { success: false, errorReason: 'settlement_pending', ...base }
  }
}

/** Waits for the receipt of a submitted entry (bounded) and writes the outcome. */
export async function confirm(
  facilitator: Facilitator,
  chain: FacilitatorNetwork,
  entry: LedgerEntry,
): Promise<LedgerEntry> {
  if (!entry.transaction || entry.signerNonce === undefined) return entry
  const receipt = await chain.settler.waitForReceipt({
    hash: entry.transaction,
    nonce: entry.signerNonce,
    ...(entry.signer ? { signer: entry.signer } : {}),
    timeoutMs: facilitator.receiptTimeoutMs,
  })
  if (!receipt) return (await facilitator.store.get(entry.id)) ?? entry
  // A batch holds several payments, maybe between the same parties for the same value: this one
  // settled only if its own `AuthorizationUsed(payer, nonce)` is there. A payment whose call failed
  // leaves no log of its own: it failed, the others stand.
  const used = isAuthorizationUsedIn(receipt.logs, entry)
  const settled =
    receipt.status === 'success' &&
    used &&
    hasTransferLog(receipt.logs, { asset: entry.asset, from: entry.payer, to: entry.payTo, value: entry.amount })
  if (!settled && !used) {
    // Our call failed, but the nonce may have been spent by another transaction: this payment (sent
    // by someone else, or by us before a lost answer), then the payee was paid and that is no failure;
    // or another authorization of the payer under the same nonce, then this payment failed.
    const spender = await findPaymentUse(chain.client, entry).catch(() => undefined)
    // Our transaction reverted (or this payment's call in it failed) although its simulation had
    // passed: the payer's code or state answered differently when mined, or the payer spent the
    // nonce on another authorization meanwhile. Either cost us gas: the payer is refused a while.
    if (!spender?.paid) facilitator.payerLimits.coolOff(chain.network, entry.payer)
    if (spender) return recordSpent(facilitator, entry, spender)
  }
  // The receipt may be a replacement's (same nonce, higher fee): record the hash that landed.
  const landed = { blockNumber: receipt.blockNumber, transaction: receipt.transactionHash }
  const at = { now: facilitator.now() }
  const result = settled
    ? await recordSettled(facilitator.store, entry.id, landed, at)
    : await recordFailed(
        facilitator.store,
        entry.id,
        'submitted',
        {
          ...landed,
          errorCode:
            receipt.status === 'success' && used
              ? 'invalid_exact_evm_transfer_event_mismatch'
              : 'invalid_exact_evm_transaction_failed',
        },
        at,
      )
  return result.ok ? result.entry : ((await facilitator.store.get(entry.id)) ?? entry)
}

/** Records a payment whose nonce was spent on chain by `spender` (see {@link recordSpentNonce}). */
export async function recordSpent(
  facilitator: Facilitator,
  entry: LedgerEntry,
  spender: PaymentUse,
): Promise<LedgerEntry> {
  const spent: SpentNonce = spender.paid
    ? { paid: true, hash: spender.hash, blockNumber: spender.blockNumber }
    : { paid: false, errorMessage: spentElsewhere(spender.hash) }
  return (await recordSpentNonce(facilitator.store, entry, spent, { now: facilitator.now() })).entry
}

/** Another process holds the claim: wait (bounded) until its outcome is written. */
export async function awaitOutcome(
  facilitator: Facilitator,
  chain: FacilitatorNetwork,
  id: string,
): Promise<LedgerEntry | undefined> {
  const deadline = facilitator.clock() + facilitator.receiptTimeoutMs
  for (;;) {
    const entry = await facilitator.store.get(id)
    if (entry?.state !== 'settling' || facilitator.clock() >= deadline) {
      return entry?.state === 'submitted' ? confirm(facilitator, chain, entry) : entry
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
}

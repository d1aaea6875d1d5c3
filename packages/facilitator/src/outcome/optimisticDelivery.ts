import { type SettleResponse, tollgateExtensions } from '@tollgate/protocol'
import type { Facilitator } from '../createFacilitator.ts'
import type { ExactPaymentRequest } from '../request/parseFacilitatorRequest.ts'
import type { LedgerEntry } from '../store/ledgerStore.ts'
import { confirm } from './settlementOutcome.ts'

/*
 * Optimistic delivery: a payment verified, reserved and broadcast is delivered before its
 * settlement is included, within the exposure limits the ledger holds (see `ExposureStore`); the
 * settlement finishes in the background (the receipt wait, then the reconciler), and ends settled or
 * recorded as a loss on the row.
 */

const min = (a: bigint, b: bigint | undefined) => (b !== undefined && b < a ? b : a)

/** The `/settle` answer of a payment delivered optimistically: success, its transaction, and `state: "pending"` until it settles. */
export function optimisticResponse(request: ExactPaymentRequest, entry: LedgerEntry): SettleResponse {
  return {
    success: true,
    payer: entry.payer,
    transaction: entry.transaction ?? '',
    network: request.network,
    extensions: { [tollgateExtensions.delivery]: { delivery: 'optimistic', state: 'pending' } },
  }
}

/**
 * Delivers the submitted `entry` before its inclusion, when the request asked for it (with a claim)
 * and the ledger's exposure allows it, and finishes its settlement in the background. `undefined`:
 * not delivered optimistically (the caller waits for the receipt as for a settled delivery).
 */
export async function deliverOptimistically(
  facilitator: Facilitator,
  request: ExactPaymentRequest,
  entry: LedgerEntry,
): Promise<SettleResponse | undefined> {
  const { optimistic: asked, claim } = request
  if (!asked || claim === undefined || entry.state !== 'submitted') return undefined
  const limits = facilitator.optimistic
  const taken = await facilitator.store.takeOptimisticDelivery(entry.id, {
    claim,
    maxPerPayer: min(limits.maxPerPayer, asked.maxPerPayer),
    maxPerSeller: min(limits.maxPerSeller, asked.maxPerSeller),
    now: facilitator.now(),
  })
  if (!taken.ok) return undefined
  finishInBackground(facilitator, request, taken.entry)
  return optimisticResponse(request, taken.entry)
}

/**
 * The answer for a row already delivered optimistically and not final: the claim that holds it gets
 * the optimistic answer again (its answer was lost); any other gets `payment_already_delivered`.
 */
export function answerOptimistic(request: ExactPaymentRequest, entry: LedgerEntry): SettleResponse {
  if (entry.deliveredTo === request.claim) return optimisticResponse(request, entry)
  return {
    success: false,
    errorReason: 'payment_already_delivered',
    errorMessage: 'This payment was delivered once, to another request; a new request needs a new payment.',
    payer: entry.payer,
    transaction: entry.transaction ?? '',
    network: request.network,
  }
}

/**
 * The receipt wait of an optimistic delivery, after its answer: the row ends settled, or failed or
 * expired (a loss). Not mined within the wait, the reconciler finishes it. Counted in `inflight`, so a
 * draining node waits for it.
 */
function finishInBackground(facilitator: Facilitator, request: ExactPaymentRequest, entry: LedgerEntry): void {
  const chain = request.chain
  const key = `optimistic|${entry.id}`
  if (facilitator.inflight.has(key)) return
  const running = confirm(facilitator, chain, entry)
    .then((final) => {
      if (final.state === 'failed' || final.state === 'expired') {
        facilitator.logError(
          new Error(`optimistic delivery lost: ${final.id} ${final.state} ${final.errorCode ?? ''}`.trim()),
        )
      }
      return optimisticResponse(request, final)
    })
    .catch((error: unknown) => {
      facilitator.logError(error)
      return optimisticResponse(request, entry)
    })
    .finally(() => facilitator.inflight.delete(key))
  facilitator.inflight.set(key, running)
}

import type { Facilitator } from './createFacilitator.ts'
import type { ExactPaymentRequest } from './parseFacilitatorRequest.ts'
import type { LedgerEntry } from './store.ts'

/**
 * The earlier authorization a request pays the same payment with (the buyer's `payment-identifier`
 * id, scoped to chain, asset, payer and payee), while that one still stands (not failed, expired or
 * released). A buyer that re-signs a payment whose settlement is pending is answered from the first
 * authorization, and the second is never charged. `undefined` when the request is the first.
 */
export async function samePayment(
  facilitator: Facilitator,
  request: ExactPaymentRequest,
): Promise<LedgerEntry | undefined> {
  if (!request.paymentKey) return undefined
  const earlier = await facilitator.store.findPayment(request.paymentKey)
  return earlier && earlier.id !== request.id ? earlier : undefined
}

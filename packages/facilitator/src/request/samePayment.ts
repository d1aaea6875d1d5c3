import type { Facilitator } from '../createFacilitator.ts'
import type { LedgerEntry } from '../store/ledgerStore.ts'
import type { ExactPaymentRequest } from './parseFacilitatorRequest.ts'
import { verifyRequest } from './verifyRequest.ts'

/**
 * The earlier authorization a request pays the same payment with (the buyer's `payment-identifier`
 * id, scoped to chain, asset, payer, payee and amount), while that one still stands (not failed,
 * expired or released). A buyer that re-signs a payment whose settlement is pending is answered from
 * the first authorization, and the second is never charged. Only a request whose own authorization
 * verifies counts, so naming someone else's id (and address) in a forged payload takes nothing.
 * `undefined` when the request is the first, or does not verify (the caller then refuses it).
 */
export async function samePayment(
  facilitator: Facilitator,
  request: ExactPaymentRequest,
): Promise<LedgerEntry | undefined> {
  if (!request.paymentKey) return undefined
  const earlier = await facilitator.store.findPayment(request.paymentKey)
  if (!earlier || earlier.id === request.id) return undefined
  const verified = await verifyRequest(facilitator.now(), request)
  return verified.ok ? earlier : undefined
}

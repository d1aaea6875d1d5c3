import type { ErrorCode, VerifyResponse } from '@tollgate/protocol'
import type { Address } from 'viem'
import type { Facilitator } from './createFacilitator.ts'
import { costVerdict } from './policy/costVerdict.ts'
import { payerRefusal } from './policy/payerRefusal.ts'
import { callerMessage, faultDetail } from './request/callerMessage.ts'
import { parseFacilitatorRequest } from './request/parseFacilitatorRequest.ts'
import { samePayment } from './request/samePayment.ts'
import { verifyRequest } from './request/verifyRequest.ts'
import { newLedgerEntry } from './store/newLedgerEntry.ts'

/** What `POST /verify` replies, as the facilitator's HTTP layer sends it. */
export type VerifyReply =
  /** A well-formed request: answer HTTP 200 with `response` (valid or not). */
  | { ok: true; response: VerifyResponse }
  /** Malformed, or for a scheme/network we do not serve: answer HTTP 400 `{ error: code, message }`. */
  | { ok: false; code: ErrorCode; message: string }

const invalid = (payer: Address, code: ErrorCode, detail?: string): VerifyReply => ({
  ok: true,
  response: detail
    ? { isValid: false, invalidReason: code, invalidMessage: detail, payer }
    : { isValid: false, invalidReason: code, payer },
})

const pendingMessage = 'This authorization is being settled; ask /settle for its outcome, and do not pay again.'

const heldMessage =
  'Another request holds the reservation of this authorization; settle it, release it, or wait for its lease to end.'

/**
 * `POST /verify`: parses the body, checks the payment with the network's `exact` verifier (see
 * `createExactVerifier` in `@tollgate/evm` for the checks and codes), and reserves a valid
 * authorization in the ledger under its id for `facilitator.reservationSeconds` (never beyond
 * `validBefore`). Only the call that takes the reservation answers `isValid: true`: the same payload
 * verified again while the reservation is held is `authorization_in_use` (so a resource server
 * cannot serve twice for one payment), until the lease runs out or {@link release} gives it back.
 * `/settle` still accepts the held reservation. A request carrying Tollgate's `tollgate.claim` holds
 * the reservation under that claim: the same claim verifying again (a lost answer) is valid again, and
 * only that claim may release it or settle it while the lease lasts. A payload that conflicts with a
 * reservation is `authorization_in_use`; one being settled is `settlement_pending` (ask `/settle`);
 * one settled is `invalid_exact_evm_nonce_already_used`. Another authorization of a payment already
 * under way (the buyer's `payment-identifier` id) is answered from the first: `settlement_pending`,
 * `duplicate_settlement` once settled, `authorization_in_use` while reserved; it is never reserved. An
 * unreachable chain is `unexpected_verify_error`, not a throw.
 *
 * @example
 * import { verify } from '@tollgate/facilitator'
 * const result = await verify(facilitator, await c.req.json())
 * return result.ok ? c.json(result.response) : c.json({ error: result.code, message: result.message }, 400)
 * @see x402-protocol reference §3.1, §4.2
 */
export async function verify(facilitator: Facilitator, body: unknown): Promise<VerifyReply> {
  const parsed = parseFacilitatorRequest(facilitator, body)
  if (!parsed.ok) return parsed
  const { request } = parsed
  const { authorization } = request
  const payer = authorization.from
  if (request.mismatch) return invalid(payer, request.mismatch)
  const refused = payerRefusal(facilitator, request)
  if (refused) return invalid(payer, refused.code, refused.message)

  try {
    const earlier = await samePayment(facilitator, request)
    if (earlier) {
      // The same payment (payment-identifier) under an earlier authorization: this one is not charged.
      if (earlier.state === 'requested' || earlier.state === 'settling' || earlier.state === 'submitted') {
        return invalid(payer, 'settlement_pending', pendingMessage)
      }
      if (earlier.state === 'settled' || earlier.state === 'preconfirmed') {
        return invalid(
          payer,
          'duplicate_settlement',
          'This payment-identifier was settled by an earlier authorization.',
        )
      }
      if (earlier.reservedUntil !== undefined && earlier.reservedUntil > facilitator.now()) {
        return invalid(payer, 'authorization_in_use', heldMessage)
      }
      // An earlier reservation nobody holds any more: this authorization takes its place.
    }
    const existing = await facilitator.store.get(request.id)
    if (existing) {
      if (existing.payloadHash !== request.payloadHash) return invalid(payer, 'authorization_in_use')
      switch (existing.state) {
        case 'settled':
        case 'preconfirmed':
          return invalid(payer, 'invalid_exact_evm_nonce_already_used')
        case 'requested':
        case 'settling':
        case 'submitted':
          // Being settled: the same payment sent again is answered by `/settle` once the outcome is known.
          return invalid(payer, 'settlement_pending', pendingMessage)
        case 'failed':
        case 'expired':
          return invalid(
            payer,
            'invalid_transaction_state',
            `The settlement of this authorization ended ${existing.state}.`,
          )
        case 'reserved':
          if (existing.reservedUntil !== undefined && existing.reservedUntil > facilitator.now()) {
            // The holder asking again (its answer was lost) still holds it; anyone else waits.
            if (request.claim !== undefined && existing.holder === request.claim) {
              return { ok: true, response: { isValid: true, payer } }
            }
            return invalid(payer, 'authorization_in_use', heldMessage)
          }
          break
        default:
          break
      }
    }
    const result = await verifyRequest(facilitator.now(), request, { screening: facilitator.screening })
    if (!result.ok) return invalid(payer, result.code, result.message)
    // Refused before the work: a payment the gas policy will not settle is not reserved or served.
    const cost = await costVerdict(request, result.signature)
    if (!cost.ok) return invalid(payer, cost.code, cost.message)
    const now = facilitator.now()
    const leaseEnd = now + facilitator.reservationSeconds
    const entry = newLedgerEntry(request, now)
    // biome-ignore lint/complexity/useMathMinMax: bigints (Math.min does not take them); the lease never outlives the authorization.
    entry.reservedUntil = leaseEnd < authorization.validBefore ? leaseEnd : authorization.validBefore
    const reserved = await facilitator.store.reserve(entry)
    if (!reserved.ok) return invalid(payer, 'authorization_in_use')
    if (!reserved.leased) return invalid(payer, 'authorization_in_use', heldMessage)
    return { ok: true, response: { isValid: true, payer } }
  } catch (error) {
    facilitator.logError(faultDetail('verify', error))
    return invalid(payer, 'unexpected_verify_error', callerMessage('unexpected_verify_error'))
  }
}

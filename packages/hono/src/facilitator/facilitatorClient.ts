import {
  type ErrorCode,
  type FacilitatorRequestV1,
  type FacilitatorRequestV2,
  isErrorCode,
  type SettleResponse,
  type SupportedResponse,
  type VerifyResponse,
} from '@tollgate/protocol'
import type { Context } from 'hono'

/**
 * What the middleware sends to `/verify` and `/settle`: the client's payload with the server's
 * matched offer, both in the payload's own protocol version.
 *
 * @see x402-specification-v2.md §7
 */
export type FacilitatorCall = FacilitatorRequestV1 | FacilitatorRequestV2

/**
 * What a call is part of: `requestId` is the buyer request's id (its `X-Request-Id` when plain,
 * else one made per request), sent to the facilitator as `X-Request-Id` so both sides' logs meet;
 * `c` is the request's Hono context (so credentials may come from `c.env` on Workers).
 */
export type CallContext = { requestId?: string | undefined; c?: Context | undefined }

/** The answer of {@link FacilitatorClient.verify}: valid, or refused with a code. */
export type VerifyResult =
  | { ok: true; payer?: string | undefined; response: VerifyResponse }
  | {
      ok: false
      /** Our code for the outcome; its class says whether the same payment may be retried. */
      code: ErrorCode
      /** The facilitator's own reason string, as it sent it (shown to the buyer). */
      reason: string
      message?: string | undefined
      payer?: string | undefined
      /** The facilitator is overloaded (it answered 429 or 503): retry the same payment after this many seconds. */
      retryAfterSeconds?: number | undefined
    }

/** The answer of {@link FacilitatorClient.settle}: settled, or failed/pending with a code. */
export type SettleResult =
  | { ok: true; response: SettleResponse }
  | {
      ok: false
      /** `settlement_pending` (class `pending`) when the transaction is out but not confirmed. */
      code: ErrorCode
      reason: string
      message?: string | undefined
      /** The facilitator's settle body, when it sent one (carries `transaction` for a pending settlement). */
      response?: SettleResponse | undefined
      /** The facilitator is overloaded (it answered 429 or 503): retry the same payment after this many seconds. */
      retryAfterSeconds?: number | undefined
    }

/** The answer of {@link FacilitatorClient.supported}. */
export type SupportedResult =
  | { ok: true; response: SupportedResponse }
  | { ok: false; code: ErrorCode; reason: string; message?: string | undefined }

/**
 * A client of an x402 facilitator, as the middleware uses it (`@x402/core` names the same role so;
 * the facilitator itself is `@tollgate/facilitator`). {@link httpFacilitator} talks to any
 * facilitator over HTTP; an in-process implementation may be passed instead. Implementations return
 * results and should not throw; if one throws, the middleware answers 502 `facilitator_unavailable`.
 */
export type FacilitatorClient = {
  /**
   * `context`: the request being paid for, passed by the middleware: its request id (sent as
   * `X-Request-Id`) and its Hono context `c` (so credentials may come from `c.env` on Workers);
   * optional for direct calls.
   */
  verify(call: FacilitatorCall, context?: CallContext): Promise<VerifyResult>
  settle(call: FacilitatorCall, context?: CallContext): Promise<SettleResult>
  supported?(c?: Context): Promise<SupportedResult>
  /**
   * Gives back the reservation `verify` took, when the handler failed and the payment was not used
   * (Tollgate extension `tollgate-release`). Optional; must not throw.
   */
  release?(call: FacilitatorCall, context?: CallContext): Promise<void>
  /**
   * Whether the facilitator binds the reservation and the one delivery of a payment to the call's
   * `tollgate.claim` (Tollgate extension `tollgate-delivery`): then `settle` answers `success` only to
   * the request allowed to deliver, so the middleware may settle a payment it did not verify (a retry
   * of a pending one) and serve on the answer. Optional; absent means no.
   */
  deliveryClaims?(c?: Context): Promise<boolean>
  /**
   * Whether the facilitator signs receipts (extension `offer-receipt` in `/supported`): then the
   * middleware sends the SHA-256 of the response body it delivers with `/settle`, bound in the
   * receipt. Optional; absent means no.
   */
  receipts?(c?: Context): Promise<boolean>
}

// The official packages spell a few spec codes differently (x402-protocol.md §3.4); clients only
// display the reason, so we keep the facilitator's spelling on the wire and map it here for `code`.
const aliases: Readonly<Record<string, ErrorCode>> = {
  invalid_exact_evm_signature: 'invalid_exact_evm_payload_signature',
  invalid_exact_evm_recipient_mismatch: 'invalid_exact_evm_payload_recipient_mismatch',
  invalid_exact_evm_authorization_value: 'invalid_exact_evm_payload_authorization_value',
  invalid_exact_evm_scheme: 'invalid_scheme',
  invalid_payment: 'payment_rejected',
  payment_expired: 'invalid_exact_evm_payload_authorization_valid_before',
}

/**
 * Our error code for a facilitator's reason string: the code itself when it is in the table, its
 * spec spelling when the official packages drift, else `payment_rejected`.
 *
 * @example
 * toErrorCode('invalid_exact_evm_signature') // 'invalid_exact_evm_payload_signature'
 */
export function toErrorCode(reason: string | null | undefined): ErrorCode {
  if (!reason) return 'payment_rejected'
  if (isErrorCode(reason)) return reason
  return Object.hasOwn(aliases, reason) ? (aliases[reason] as ErrorCode) : 'payment_rejected'
}

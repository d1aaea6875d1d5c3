import type { ErrorCode } from '@tollgate/protocol'
import type { Address } from 'viem'
import type { ExactAuthorization } from '../authorization/toExactAuthorization.ts'

export type CheckAuthorizationFieldsParameters = {
  authorization: ExactAuthorization
  /** The requirements' recipient. */
  payTo: Address
  /** The requirements' amount, in atomic units. */
  amount: bigint
  /** Seconds since the epoch. */
  now: bigint
  /** Seconds `validBefore` must lie beyond `now`. */
  validBeforeMargin: bigint
  /** Picks the value-mismatch code of the payment's protocol version. */
  x402Version: 1 | 2
}

/**
 * The authorization's own fields against the requirements, with no RPC (internal), in order: `to`
 * equals `payTo`, `value` equals the amount exactly, `validBefore > now + margin` and
 * `validAfter < now`. The first failure's code, or `undefined`.
 */
export function checkAuthorizationFields({
  authorization,
  payTo,
  amount,
  now,
  validBeforeMargin,
  x402Version,
}: CheckAuthorizationFieldsParameters): ErrorCode | undefined {
  if (authorization.to.toLowerCase() !== payTo.toLowerCase()) return 'invalid_exact_evm_payload_recipient_mismatch'
  if (authorization.value !== amount) {
    return x402Version === 1
      ? 'invalid_exact_evm_payload_authorization_value'
      : 'invalid_exact_evm_payload_authorization_value_mismatch'
  }
  if (authorization.validBefore <= now + validBeforeMargin)
    return 'invalid_exact_evm_payload_authorization_valid_before'
  if (authorization.validAfter >= now) return 'invalid_exact_evm_payload_authorization_valid_after'
  return undefined
}

import type { ErrorCode } from '@tollgate/protocol'
import type { Facilitator } from '../createFacilitator.ts'
import type { ExactPaymentRequest } from '../request/parseFacilitatorRequest.ts'

/**
 * The abuse limits checked before any RPC, in `/verify` and `/settle` alike: an amount of `0`
 * (`invalid_amount`) or below the asset's minimum (`amount_too_low`), and a payer in cool-off
 * after a settlement of theirs reverted on chain (`payment_rejected`). `undefined`: go on.
 */
export function payerRefusal(
  facilitator: Facilitator,
  request: ExactPaymentRequest,
): { code: ErrorCode; message: string } | undefined {
  const { value, from } = request.authorization
  if (value === 0n) return { code: 'invalid_amount', message: 'A payment of 0 is not settled.' }
  const min = facilitator.minAmountOf(request.requirements.asset)
  if (value < min) {
    return { code: 'amount_too_low', message: `The amount ${value} is below this facilitator's minimum of ${min}.` }
  }
  const until = facilitator.payerLimits.coolingOffUntil(request.chain.network, from)
  if (until !== undefined) {
    return {
      code: 'payment_rejected',
      message: `A settlement from this payer reverted on chain; its payments are refused until ${until} (seconds since the epoch).`,
    }
  }
  return undefined
}

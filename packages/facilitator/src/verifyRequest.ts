import type { FacilitatorNetwork } from './createFacilitator.ts'
import type { ExactPaymentRequest } from './parseFacilitatorRequest.ts'

/**
 * Checks a parsed payment with its network's `exact` verifier, at the facilitator's `now`;
 * `asSent`: simulated as the settlement will be sent, whatever the payer (internal).
 */
export function verifyRequest(
  now: bigint,
  request: ExactPaymentRequest,
  { asSent = false }: { asSent?: boolean } = {},
): ReturnType<FacilitatorNetwork['verify']> {
  return request.chain.verify({
    authorization: request.authorization,
    signature: request.signature,
    requirements: request.requirements,
    now,
    x402Version: request.x402Version,
    ...(asSent ? { asSent } : {}),
    ...(request.digest ? { digest: request.digest } : {}),
  })
}
